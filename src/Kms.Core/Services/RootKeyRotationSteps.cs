using Kms.Core.Audit;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Microsoft.Extensions.Logging;

namespace Kms.Core.Services;

/// <summary>The roots a root-key rotation moves between.</summary>
public sealed record RootRotationRoots(string OldRootKeyLabel, string NewRootKeyLabel);

/// <summary>What one page of a sweep did. <paramref name="Failed"/>: blobs that did not unwrap (or kept changing) and stay as they were.</summary>
public sealed record RootSweepPage(int Rewrapped, int Skipped, int Failed, string? Next);

/// <summary>
/// The steps of a root-key rotation, as its orchestration runs them: create the next root, rewrap stored blobs a page
/// at a time, switch the current root, sweep again to rewrap and verify, retire the other roots. Every step is
/// idempotent: a blob already under the new root is skipped, creating or switching to a root that is already there
/// does nothing, and retiring a root that is gone does nothing. Key material never leaves the HSM unwrapped: a blob
/// is unwrapped into a temporary HSM object, wrapped under the new root and the object destroyed.
/// </summary>
public sealed partial class RootKeyRotationSteps
{
    public const int PageSize = 100;
    private const int WriteAttempts = 3;

    private readonly IKeyStore _keys;
    private readonly IAuditStore _audit;
    private readonly IHsmRootKeys _roots;
    private readonly KeyCatalog _catalog;
    private readonly ILogger<RootKeyRotationSteps> _logger;

    public RootKeyRotationSteps(IKeyStore keys, IAuditStore audit, IHsmRootKeys roots, KeyCatalog catalog, ILogger<RootKeyRotationSteps> logger)
    {
        _keys = keys;
        _audit = audit;
        _roots = roots;
        _catalog = catalog;
        _logger = logger;
    }

    /// <summary>
    /// Creates the next generation's root unless it exists. A re-run before the switch finds the same current root,
    /// so it names (and finds) the same new root; a rotation that failed earlier leaves its new root to be reused.
    /// </summary>
    public RootRotationRoots CreateNextRoot()
    {
        var current = _roots.GetCurrentRootKeyLabel();
        var next = RootKeyLabels.Next(current);
        if (_roots.EnsureRootKey(next))
        {
            LogRootCreated(next);
        }

        return new RootRotationRoots(current, next);
    }

    /// <summary>
    /// Rewraps one page of stored blobs to <paramref name="newRoot"/>; with <paramref name="verify"/> it also proves that
    /// every blob of the page unwraps under it (and counts those that do not as failed). The first page also takes the
    /// audit signing key, which is wrapped under the root like every key version.
    /// </summary>
    public async Task<RootSweepPage> SweepPageAsync(string newRoot, string? continuation, bool verify, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(newRoot);
        int rewrapped = 0, skipped = 0, failed = 0;
        if (continuation is null)
        {
            Count(await SweepAuditKeyAsync(newRoot, verify, cancellationToken), ref rewrapped, ref skipped, ref failed);
        }

        var page = await _keys.ListAllVersionsAsync(PageSize, continuation, cancellationToken);
        var specs = new Dictionary<string, KeySpec>(StringComparer.Ordinal);
        foreach (var version in page.Items)
        {
            if (!specs.TryGetValue(version.KeyId, out var spec))
            {
                spec = specs[version.KeyId] = (await _keys.GetKeyAsync(version.KeyId, cancellationToken) ?? throw KmsErrors.KeyNotFound(version.KeyId)).Spec;
            }

            Count(await SweepVersionAsync(version, spec, newRoot, verify, cancellationToken), ref rewrapped, ref skipped, ref failed);
        }

        return new RootSweepPage(rewrapped, skipped, failed, page.ContinuationToken);
    }

    /// <summary>Makes <paramref name="newRoot"/> the root that wraps new keys.</summary>
    public void SwitchRoot(string newRoot)
    {
        _roots.SetCurrentRootKey(newRoot);
        LogSwitched(newRoot);
    }

    /// <summary>
    /// Destroys every other root of the family: called only after a sweep found every stored blob under
    /// <paramref name="newRoot"/> and unwrapping there. Returns the labels destroyed (none on a re-run).
    /// </summary>
    public string[] RetireOtherRoots(string newRoot)
    {
        if (!string.Equals(_roots.GetCurrentRootKeyLabel(), newRoot, StringComparison.Ordinal))
        {
            throw KmsErrors.OperationConflict($"Root key '{newRoot}' is no longer the current root; nothing was retired.");
        }

        var retired = new List<string>();
        foreach (var label in _roots.ListRootKeys().Where(l => !string.Equals(l, newRoot, StringComparison.Ordinal)))
        {
            if (_roots.DestroyRootKey(label))
            {
                LogRetired(label);
                retired.Add(label);
            }
        }

        return [.. retired];
    }

    private enum Outcome
    {
        Rewrapped,
        Skipped,
        Failed,
    }

    private static void Count(Outcome outcome, ref int rewrapped, ref int skipped, ref int failed)
    {
        switch (outcome)
        {
            case Outcome.Rewrapped: rewrapped++; break;
            case Outcome.Skipped: skipped++; break;
            default: failed++; break;
        }
    }

    private async Task<Outcome> SweepVersionAsync(KeyVersionRecord version, KeySpec spec, string newRoot, bool verify, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= WriteAttempts; attempt++)
        {
            // Destroyed material (if a version ever keeps its row without it) has nothing to move.
            if (version.WrappedMaterial.Length == 0)
            {
                return Outcome.Skipped;
            }

            var reference = new HsmKeyRef(version.KeyId, version.Version, spec, version.WrappedMaterial, version.RootKeyLabel);
            if (string.Equals(version.RootKeyLabel, newRoot, StringComparison.Ordinal))
            {
                return !verify || _roots.CanUnwrap(reference) ? Outcome.Skipped : Failed(version.KeyId, version.Version, version.RootKeyLabel);
            }

            if (_roots.RewrapKey(reference, newRoot) is not { } blob)
            {
                return Failed(version.KeyId, version.Version, version.RootKeyLabel);
            }

            try
            {
                await _keys.ReplaceWrappedMaterialAsync(version, blob, newRoot, cancellationToken);
                _catalog.Invalidate(version.KeyId);
                return !verify || _roots.CanUnwrap(reference with { WrappedMaterial = blob, RootKeyLabel = newRoot })
                    ? Outcome.Rewrapped
                    : Failed(version.KeyId, version.Version, newRoot);
            }
            catch (KmsException e) when (e.Code == KmsErrorCodes.ConcurrentModification)
            {
                // Its state changed meanwhile: start again from the row as it is now.
                if (await _keys.GetVersionAsync(version.KeyId, version.Version, cancellationToken) is not { } fresh)
                {
                    return Outcome.Skipped;
                }

                version = fresh;
            }
        }

        return Failed(version.KeyId, version.Version, version.RootKeyLabel);
    }

    private async Task<Outcome> SweepAuditKeyAsync(string newRoot, bool verify, CancellationToken cancellationToken)
    {
        const string name = "audit-signing-key";
        for (var attempt = 1; attempt <= WriteAttempts; attempt++)
        {
            if (await _audit.GetSigningKeyAsync(cancellationToken) is not { WrappedMaterial.Length: > 0 } key)
            {
                return Outcome.Skipped;
            }

            var reference = new HsmKeyRef(name, 1, KeySpec.EcP256, key.WrappedMaterial, key.RootKeyLabel);
            if (string.Equals(key.RootKeyLabel, newRoot, StringComparison.Ordinal))
            {
                return !verify || _roots.CanUnwrap(reference) ? Outcome.Skipped : Failed(name, 1, key.RootKeyLabel);
            }

            if (_roots.RewrapKey(reference, newRoot) is not { } blob)
            {
                return Failed(name, 1, key.RootKeyLabel);
            }

            try
            {
                await _audit.ReplaceSigningKeyMaterialAsync(key with { WrappedMaterial = blob, RootKeyLabel = newRoot }, cancellationToken);
                return Outcome.Rewrapped;
            }
            catch (KmsException e) when (e.Code == KmsErrorCodes.ConcurrentModification)
            {
                // Another sweep page re-run got there first: read it again.
            }
        }

        return Failed(name, 1, "(changed concurrently)");
    }

    private Outcome Failed(string keyId, int version, string rootKeyLabel)
    {
        LogBlobFailed(keyId, version, rootKeyLabel);
        return Outcome.Failed;
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Root-key rotation created root key {RootKeyLabel}")]
    private partial void LogRootCreated(string rootKeyLabel);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Root key {RootKeyLabel} is now the current root")]
    private partial void LogSwitched(string rootKeyLabel);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "Retired root key {RootKeyLabel}: destroyed in the HSM")]
    private partial void LogRetired(string rootKeyLabel);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Error,
        Message = "Root-key rotation: the blob of key {KeyId} version {Version} (root {RootKeyLabel}) does not unwrap; it was left as it is")]
    private partial void LogBlobFailed(string keyId, int version, string rootKeyLabel);
}

using System.Security.Cryptography;
using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Core.Services;

public enum RewrapOutcome
{
    /// <summary>Re-encrypted under the target version.</summary>
    Rewrapped,
    /// <summary>Already on the target version: nothing to do (this is what makes a re-run harmless).</summary>
    AlreadyCurrent,
    /// <summary>On a version the campaign was not asked to move, or under another key.</summary>
    NotSelected,
    /// <summary>Not a ciphertext, or it does not open (tampered, or another encryption context).</summary>
    Failed,
}

public sealed record RewrapItemResult(RewrapOutcome Outcome, byte[]? Ciphertext, int? FromVersion, string? Error);

/// <summary>The key, its target (primary) version and every version by number, read once per page.</summary>
/// <param name="Revocation">The revocation this rewrap runs for: it alone may open the versions that revocation revoked.</param>
public sealed record RewrapTarget(KeyRecord Key, KeyVersionRecord Primary, IReadOnlyDictionary<int, KeyVersionRecord> Versions, string? Revocation = null);

/// <summary>
/// Re-encrypts stored ciphertexts to a key's primary version inside the service: the plaintext exists only in this
/// process's memory, for the moment between open and seal, and is zeroed at once. Unlike Decrypt, a rewrap may open
/// a <em>disabled</em> version: moving data off a withdrawn version is exactly what it is for. A <em>revoked</em> version
/// opens only for the rewrap of the revocation that revoked it; a destroyed one never.
/// </summary>
public sealed class Rewrapper
{
    private readonly IKeyStore _keys;
    private readonly IHsm _hsm;

    public Rewrapper(IKeyStore keys, IHsm hsm)
    {
        _keys = keys;
        _hsm = hsm;
    }

    /// <summary>Reads the key fresh; refuses when it is not enabled or its primary version is not.</summary>
    public async Task<RewrapTarget> TargetAsync(string keyId, CancellationToken cancellationToken, string? revocation = null)
    {
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        if (key.State != KeyState.Enabled)
        {
            throw key.State == KeyState.PendingDeletion ? KmsErrors.KeyPendingDeletion(key.KeyId) : KmsErrors.KeyDisabled(key.KeyId);
        }

        if (key.Usage != KeyUsage.EncryptDecrypt)
        {
            throw KmsErrors.IncorrectKeyUsage(key.KeyId, key.Usage, "rewrap");
        }

        var versions = (await _keys.ListVersionsAsync(key.KeyId, cancellationToken)).ToDictionary(v => v.Version);
        var primary = versions.GetValueOrDefault(key.PrimaryVersion) ?? throw KmsErrors.KeyVersionNotFound(key.KeyId, key.PrimaryVersion);
        if (primary.State != KeyVersionState.Enabled)
        {
            throw KmsErrors.KeyVersionDisabled(key.KeyId, primary.Version);
        }

        return new RewrapTarget(key, primary, versions, revocation);
    }

    /// <summary>Where the item stands: which version holds it, and whether the campaign should move it.</summary>
    public static RewrapOutcome Classify(RewrapTarget target, ReadOnlyMemory<byte> blob, IReadOnlySet<int>? fromVersions, out int? version) =>
        Classify(target, blob, fromVersions, out version, out _);

    private static RewrapOutcome Classify(RewrapTarget target, ReadOnlyMemory<byte> blob, IReadOnlySet<int>? fromVersions, out int? version,
        out Ciphertext ciphertext)
    {
        version = null;
        if (!Ciphertext.TryParse(blob, out ciphertext))
        {
            return RewrapOutcome.Failed;
        }

        version = ciphertext.Version;
        if (ciphertext.KeyId.ToString("D") != target.Key.KeyId)
        {
            return RewrapOutcome.NotSelected;
        }

        if (ciphertext.Version == target.Primary.Version)
        {
            return RewrapOutcome.AlreadyCurrent;
        }

        return fromVersions is null || fromVersions.Contains(ciphertext.Version) ? RewrapOutcome.Rewrapped : RewrapOutcome.NotSelected;
    }

    public RewrapItemResult Rewrap(RewrapTarget target, ReadOnlyMemory<byte> blob, EncryptionContext context, IReadOnlySet<int>? fromVersions)
    {
        ArgumentNullException.ThrowIfNull(target);
        var outcome = Classify(target, blob, fromVersions, out var number, out var ciphertext);
        if (outcome == RewrapOutcome.Failed)
        {
            return new RewrapItemResult(RewrapOutcome.Failed, null, null, "not a KMS ciphertext");
        }

        if (outcome != RewrapOutcome.Rewrapped)
        {
            return new RewrapItemResult(outcome, null, number, null);
        }

        if (!target.Versions.TryGetValue(number!.Value, out var source))
        {
            return new RewrapItemResult(RewrapOutcome.Failed, null, number, $"version {number} does not exist");
        }

        if (source.State == KeyVersionState.Destroyed || (source.State == KeyVersionState.Revoked && source.RevokedBy != target.Revocation))
        {
            return new RewrapItemResult(RewrapOutcome.Failed, null, number, $"version {number} is {KeyVersionStateNames.ToWire(source.State)}");
        }

        byte[] plaintext;
        try
        {
            plaintext = Envelope.Open(_hsm, target.Key, source, ciphertext, context);
        }
        catch (KmsException e) when (e.Code == KmsErrorCodes.InvalidCiphertext)
        {
            return new RewrapItemResult(RewrapOutcome.Failed, null, number, "does not decrypt (tampered, or another encryption context)");
        }

        try
        {
            return new RewrapItemResult(RewrapOutcome.Rewrapped, Envelope.Seal(_hsm, target.Key, target.Primary, plaintext, context), number, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

using System.Security.Cryptography;
using Kms.Core.Authorization;
using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Microsoft.Extensions.Options;

namespace Kms.Core.Services;

/// <summary>
/// The data plane: every cryptographic operation. Secret material is used only inside the HSM; this class
/// checks usage and state, builds the ciphertext format and verifies public-key signatures.
/// </summary>
public sealed class CryptoService
{
    public const int MaxRandomBytes = 1024;

    private static readonly KeyOperation EncryptOperation = new(KmsActions.Encrypt, KeyUsage.EncryptDecrypt, "encrypt");
    private static readonly KeyOperation DecryptOperation = new(KmsActions.Decrypt, KeyUsage.EncryptDecrypt, "decrypt");
    private static readonly KeyOperation ReEncryptOperation = new(KmsActions.ReEncrypt, KeyUsage.EncryptDecrypt, "re-encrypt");
    private static readonly KeyOperation DataKeyOperation = new(KmsActions.GenerateDataKey, KeyUsage.EncryptDecrypt, "generate data keys");
    private static readonly KeyOperation SignOperation = new(KmsActions.Sign, KeyUsage.SignVerify, "sign");
    private static readonly KeyOperation VerifyOperation = new(KmsActions.Verify, KeyUsage.SignVerify, "verify");
    private static readonly KeyOperation PublicKeyOperation = new(KmsActions.GetPublicKey, KeyUsage.SignVerify, "export a public key");
    private static readonly KeyOperation MacOperation = new(KmsActions.GenerateMac, KeyUsage.GenerateVerifyMac, "generate a MAC");
    private static readonly KeyOperation VerifyMacOperation = new(KmsActions.VerifyMac, KeyUsage.GenerateVerifyMac, "verify a MAC");

    private readonly KeyCatalog _catalog;
    private readonly IHsm _hsm;
    private readonly IAccessGuard _access;
    private readonly KmsOptions _options;

    public CryptoService(KeyCatalog catalog, IHsm hsm, IAccessGuard access, IOptions<KmsOptions> options)
    {
        _catalog = catalog;
        _hsm = hsm;
        _access = access;
        _options = options.Value;
    }

    public async Task<EncryptResult> EncryptAsync(string keyIdOrAlias, ReadOnlyMemory<byte> plaintext, EncryptionContext context,
        CancellationToken cancellationToken)
    {
        RequireSize(plaintext.Length, "plaintext");
        var (key, version) = await UsableVersionAsync(keyIdOrAlias, null, EncryptOperation, context, cancellationToken);
        return new EncryptResult(Seal(key, version, plaintext.Span, context), key.KeyId, version.Version);
    }

    public async Task<DecryptResult> DecryptAsync(ReadOnlyMemory<byte> ciphertext, EncryptionContext context, CancellationToken cancellationToken)
    {
        var (plaintext, keyId, version) = await OpenAsync(ciphertext, context, DecryptOperation, cancellationToken);
        return new DecryptResult(plaintext, keyId, version);
    }

    /// <summary>Decrypts and encrypts again inside the service; the plaintext never leaves it and is zeroed after use.</summary>
    public async Task<ReEncryptResult> ReEncryptAsync(ReadOnlyMemory<byte> ciphertext, EncryptionContext sourceContext,
        string? destinationKeyIdOrAlias, EncryptionContext destinationContext, CancellationToken cancellationToken)
    {
        var (plaintext, sourceKeyId, sourceVersion) = await OpenAsync(ciphertext, sourceContext, ReEncryptOperation, cancellationToken);
        try
        {
            var (key, version) = await UsableVersionAsync(destinationKeyIdOrAlias ?? sourceKeyId, null, ReEncryptOperation, destinationContext,
                cancellationToken);
            return new ReEncryptResult(Seal(key, version, plaintext, destinationContext), key.KeyId, version.Version, sourceKeyId, sourceVersion);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>A fresh data key from the HSM's generator, with its ciphertext under the key's primary version.</summary>
    public async Task<DataKeyResult> GenerateDataKeyAsync(string keyIdOrAlias, DataKeySpec spec, EncryptionContext context,
        CancellationToken cancellationToken)
    {
        var (key, version) = await UsableVersionAsync(keyIdOrAlias, null, DataKeyOperation, context, cancellationToken);
        var dataKey = _hsm.GenerateRandom(spec.DataKeyBytes());
        return new DataKeyResult(dataKey, Seal(key, version, dataKey, context), key.KeyId, version.Version);
    }

    public async Task<SignResult> SignAsync(string keyIdOrAlias, SigningAlgorithm algorithm, byte[]? message, byte[]? digest,
        CancellationToken cancellationToken)
    {
        var (key, version) = await UsableVersionAsync(keyIdOrAlias, null, SignOperation, null, cancellationToken);
        RequireCompatible(key, algorithm);
        var hash = DigestOf(algorithm, message, digest);
        var signature = _hsm.SignDigest(Ref(key, version), algorithm, hash);
        return new SignResult(signature, key.KeyId, version.Version, algorithm);
    }

    /// <summary>Verifies with the version's public key. <paramref name="versionNumber"/> defaults to the primary version.</summary>
    public async Task<VerifyResult> VerifyAsync(string keyIdOrAlias, SigningAlgorithm algorithm, byte[]? message, byte[]? digest,
        ReadOnlyMemory<byte> signature, int? versionNumber, CancellationToken cancellationToken)
    {
        var (key, version) = await UsableVersionAsync(keyIdOrAlias, versionNumber, VerifyOperation, null, cancellationToken);
        RequireCompatible(key, algorithm);
        var hash = DigestOf(algorithm, message, digest);
        var valid = SignatureVerifier.Verify(key.Spec, version.PublicKey!, algorithm, hash, signature.Span);
        return new VerifyResult(valid, key.KeyId, version.Version);
    }

    public async Task<PublicKeyResult> GetPublicKeyAsync(string keyIdOrAlias, int? versionNumber, CancellationToken cancellationToken)
    {
        var (key, version) = await UsableVersionAsync(keyIdOrAlias, versionNumber, PublicKeyOperation, null, cancellationToken);
        return new PublicKeyResult(version.PublicKey!, key.Spec, key.KeyId, version.Version);
    }

    public async Task<MacResult> GenerateMacAsync(string keyIdOrAlias, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        RequireSize(message.Length, "message");
        var (key, version) = await UsableVersionAsync(keyIdOrAlias, null, MacOperation, null, cancellationToken);
        return new MacResult(_hsm.Mac(Ref(key, version), message.Span), key.KeyId, version.Version);
    }

    /// <summary>Recomputes the MAC in the HSM and compares in constant time.</summary>
    public async Task<VerifyResult> VerifyMacAsync(string keyIdOrAlias, ReadOnlyMemory<byte> message, ReadOnlyMemory<byte> mac, int? versionNumber,
        CancellationToken cancellationToken)
    {
        RequireSize(message.Length, "message");
        var (key, version) = await UsableVersionAsync(keyIdOrAlias, versionNumber, VerifyMacOperation, null, cancellationToken);
        var expected = _hsm.Mac(Ref(key, version), message.Span);
        return new VerifyResult(CryptographicOperations.FixedTimeEquals(expected, mac.Span), key.KeyId, version.Version);
    }

    public async Task<byte[]> GenerateRandomAsync(int length, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.GenerateRandom, null, null, cancellationToken);
        if (length is < 1 or > MaxRandomBytes)
        {
            throw KmsErrors.Validation($"'bytes' must be between 1 and {MaxRandomBytes}.");
        }

        return _hsm.GenerateRandom(length);
    }

    private byte[] Seal(KeyRecord key, KeyVersionRecord version, ReadOnlySpan<byte> plaintext, EncryptionContext context) =>
        Envelope.Seal(_hsm, key, version, plaintext, context);

    private async Task<(byte[] Plaintext, string KeyId, int Version)> OpenAsync(ReadOnlyMemory<byte> blob, EncryptionContext context,
        KeyOperation operation, CancellationToken cancellationToken)
    {
        if (!Ciphertext.TryParse(blob, out var ciphertext))
        {
            throw KmsErrors.InvalidCiphertext();
        }

        var keyId = ciphertext.KeyId.ToString("D");
        var (key, version) = await UsableVersionAsync(keyId, ciphertext.Version, operation, context, cancellationToken);
        return (Envelope.Open(_hsm, key, version, ciphertext, context), key.KeyId, version.Version);
    }

    /// <summary>
    /// Resolves the key, asks the access guard, then checks usage and state, in that order: a caller without
    /// access learns nothing about a key's usage or state.
    /// </summary>
    private async ValueTask<(KeyRecord, KeyVersionRecord)> UsableVersionAsync(string keyIdOrAlias, int? versionNumber, KeyOperation operation,
        EncryptionContext? context, CancellationToken cancellationToken)
    {
        var key = await _catalog.ResolveAsync(keyIdOrAlias, cancellationToken);
        await _access.DemandAsync(operation.Action, key.KeyId, context?.Values, cancellationToken);
        if (key.Usage != operation.Usage)
        {
            throw KmsErrors.IncorrectKeyUsage(key.KeyId, key.Usage, operation.Verb);
        }

        RequireUsable(key);
        var number = versionNumber ?? key.PrimaryVersion;
        if (number < 1 || number > key.LatestVersion)
        {
            throw KmsErrors.KeyVersionNotFound(key.KeyId, number);
        }

        var version = await _catalog.GetVersionAsync(key.KeyId, number, cancellationToken);
        if (version.State != KeyVersionState.Enabled)
        {
            throw KmsErrors.VersionNotUsable(key.KeyId, version);
        }

        return (key, version);
    }

    private static void RequireUsable(KeyRecord key)
    {
        switch (key.State)
        {
            case KeyState.Enabled:
                return;
            case KeyState.PendingDeletion:
                throw KmsErrors.KeyPendingDeletion(key.KeyId);
            case KeyState.Destroyed:
                throw KmsErrors.KeyDestroyed(key.KeyId);
            default:
                throw KmsErrors.KeyDisabled(key.KeyId);
        }
    }

    private void RequireSize(int length, string field)
    {
        if (length == 0)
        {
            throw KmsErrors.Validation($"'{field}' must not be empty.");
        }

        if (length > _options.MaxPlaintextBytes)
        {
            throw KmsErrors.PayloadTooLarge($"'{field}'", _options.MaxPlaintextBytes);
        }
    }

    private static void RequireCompatible(KeyRecord key, SigningAlgorithm algorithm)
    {
        if (!algorithm.IsCompatibleWith(key.Spec))
        {
            throw KmsErrors.UnsupportedAlgorithm(
                $"{SigningAlgorithmNames.ToWire(algorithm)} cannot be used with a {KeySpecNames.ToWire(key.Spec)} key.");
        }
    }

    /// <summary>The digest to sign: <paramref name="digest"/> as given, or the hash of <paramref name="message"/>.</summary>
    private byte[] DigestOf(SigningAlgorithm algorithm, byte[]? message, byte[]? digest)
    {
        if ((message is null) == (digest is null))
        {
            throw KmsErrors.Validation("Give exactly one of 'message' and 'digest'.");
        }

        if (digest is not null)
        {
            return digest.Length == algorithm.DigestLength()
                ? digest
                : throw KmsErrors.Validation($"'digest' must be {algorithm.DigestLength()} bytes for {SigningAlgorithmNames.ToWire(algorithm)}.");
        }

        RequireSize(message!.Length, "message");
        return algorithm.HashData(message);
    }

    private static HsmKeyRef Ref(KeyRecord key, KeyVersionRecord version) => Envelope.Ref(key, version);

    /// <summary>What an operation needs from a key: the action to authorize, the usage it requires, and a verb for messages.</summary>
    private sealed record KeyOperation(string Action, KeyUsage Usage, string Verb);
}

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Kms.Client.Envelope.Internal;

namespace Kms.Client.Tests.Envelope.Fakes;

/// <summary>
/// A KMS stand-in that really wraps data keys (AES-256-GCM under its own key, bound to key id, version and context) and
/// counts and records every call, so tests can see exactly when the envelope layer goes to the KMS.
/// </summary>
internal sealed class FakeKmsDataKeyProvider : IKmsDataKeyProvider
{
    private readonly byte[] _wrappingKey = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private int _generateCalls;
    private int _decryptCalls;

    public int GenerateCalls => Volatile.Read(ref _generateCalls);

    public int DecryptCalls => Volatile.Read(ref _decryptCalls);

    /// <summary>The version new data keys are wrapped with (what a rotation would change).</summary>
    public int CurrentVersion { get; set; } = 1;

    /// <summary>When set, decrypt answers as if this key had opened the data key (a misbehaving or hostile KMS).</summary>
    public string? DecryptAnswerKeyId { get; set; }

    /// <summary>Runs inside GenerateDataKeyAsync, e.g. to evict concurrently with a KMS call.</summary>
    public Action? OnGenerate { get; set; }

    public ConcurrentQueue<(string KeyIdOrAlias, IReadOnlyDictionary<string, string> Context)> GenerateRequests { get; } = new();

    public ConcurrentQueue<IReadOnlyDictionary<string, string>> DecryptContexts { get; } = new();

    public void AddAlias(string alias, string keyId) => _aliases[alias] = keyId;

    public Task<KmsDataKey> GenerateDataKeyAsync(string keyIdOrAlias, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _generateCalls);
        context ??= new Dictionary<string, string>();
        GenerateRequests.Enqueue((keyIdOrAlias, new Dictionary<string, string>(context)));
        OnGenerate?.Invoke();

        var keyId = _aliases.TryGetValue(keyIdOrAlias, out var resolved) ? resolved : keyIdOrAlias;
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = Wrap(keyId, CurrentVersion, context, dataKey);
        return Task.FromResult(new KmsDataKey(keyId, CurrentVersion, dataKey, wrapped));
    }

    public Task<KmsDataKey> DecryptDataKeyAsync(byte[] wrappedDataKey, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _decryptCalls);
        context ??= new Dictionary<string, string>();
        DecryptContexts.Enqueue(new Dictionary<string, string>(context));

        // Layout: u8 key id length, key id, i32 version, nonce (12), wrapped key (32), tag (16).
        try
        {
            int keyIdLength = wrappedDataKey[0];
            var prefix = wrappedDataKey.AsSpan(0, 1 + keyIdLength + 4);
            var keyId = Encoding.UTF8.GetString(wrappedDataKey, 1, keyIdLength);
            var version = BinaryPrimitives.ReadInt32BigEndian(prefix[(1 + keyIdLength)..]);
            var rest = wrappedDataKey.AsSpan(prefix.Length);
            if (rest.Length != 12 + 32 + 16)
            {
                throw new CryptographicException("InvalidCiphertext");
            }

            var plaintext = new byte[32];
            using var aes = new AesGcm(_wrappingKey, 16);
            aes.Decrypt(rest[..12], rest.Slice(12, 32), rest[44..], plaintext, Aad(prefix, context));
            return Task.FromResult(new KmsDataKey(DecryptAnswerKeyId ?? keyId, version, plaintext, wrappedDataKey));
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or AuthenticationTagMismatchException)
        {
            // The real KMS answers InvalidCiphertext whatever was wrong.
            throw new CryptographicException("InvalidCiphertext");
        }
    }

    private byte[] Wrap(string keyId, int version, IReadOnlyDictionary<string, string> context, byte[] dataKey)
    {
        var keyIdBytes = Encoding.UTF8.GetBytes(keyId);
        var wrapped = new byte[1 + keyIdBytes.Length + 4 + 12 + 32 + 16];
        wrapped[0] = (byte)keyIdBytes.Length;
        keyIdBytes.CopyTo(wrapped, 1);
        BinaryPrimitives.WriteInt32BigEndian(wrapped.AsSpan(1 + keyIdBytes.Length), version);
        var prefixLength = 1 + keyIdBytes.Length + 4;
        var rest = wrapped.AsSpan(prefixLength);
        RandomNumberGenerator.Fill(rest[..12]);
        using var aes = new AesGcm(_wrappingKey, 16);
        aes.Encrypt(rest[..12], dataKey, rest.Slice(12, 32), rest[44..], Aad(wrapped.AsSpan(0, prefixLength), context));
        return wrapped;
    }

    private static byte[] Aad(ReadOnlySpan<byte> prefix, IReadOnlyDictionary<string, string> context) =>
        [.. prefix, .. CanonicalEncryptionContext.Encode(context)];
}

using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// A format version 2 content key: HKDF-SHA256(IKM = data key, salt = 24 random bytes, info = v2 label || suite id),
/// shared by many messages of one cached data key. Each message reserves its own message number, and the nonce is
/// <c>u64 message number || u32 sequence number</c>, so no (key, nonce) pair repeats under this key by construction;
/// two content keys of one data key coincide only if their random salts do (about k²/2^193 for k keys). A key retires
/// after <see cref="DefaultMaxMessages"/> messages or <see cref="DefaultMaxBytes"/> plaintext bytes, whichever first.
/// Deriving the key and building an <see cref="AesGcm"/> (key schedule, OpenSSL context) costs more than sealing
/// 1 KiB, which is why the key lives across messages and its <see cref="AesGcm"/> instances are pooled.
/// </summary>
internal sealed class ContentKey : IDisposable
{
    public const int SaltLength = 24;

    /// <summary>2^32 messages per content key, the limit AWS Encryption SDK and Tink apply per GCM key.</summary>
    public const long DefaultMaxMessages = 1L << 32;

    /// <summary>2^36 bytes (64 GiB) of plaintext, about 2^32 AES blocks: GCM's confidentiality bound stays near 2^-64.</summary>
    public const long DefaultMaxBytes = 1L << 36;

    // v1 and v2 labels differ, so a v1 message id that happens to start with a v2 salt never yields the same key.
    private static readonly byte[] s_v1Label = "Kms.Client.Envelope v1 content key"u8.ToArray();
    private static readonly byte[] s_v2Label = "Kms.Client.Envelope v2 content key"u8.ToArray();

    private readonly Lock _gate = new();

    // Pinned, so the GC never leaves a copy behind when it compacts; zeroed on dispose.
    private readonly byte[] _key;
    private readonly AesGcm?[] _idle = new AesGcm?[Math.Clamp(Environment.ProcessorCount, 1, 16)];
    private readonly long _maxMessages;
    private readonly long _maxBytes;
    private long _messages;
    private long _bytes;
    private int _disposed;

    private ContentKey(byte[] key, byte[] salt, long maxMessages, long maxBytes)
    {
        _key = key;
        Salt = salt;
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
    }

    /// <summary>The HKDF salt: the first 24 bytes of the message id of every message under this key.</summary>
    public byte[] Salt { get; }

    /// <summary>Derives a version 2 content key under a fresh random salt.</summary>
    public static ContentKey Create(ReadOnlySpan<byte> dataKey, EnvelopeAlgorithmSuite suite, long maxMessages = DefaultMaxMessages, long maxBytes = DefaultMaxBytes)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var key = GC.AllocateUninitializedArray<byte>(MessageCipher.DataKeyLength, pinned: true);
        Derive(dataKey, suite, formatVersion: 2, salt, key);
        return new ContentKey(key, salt, maxMessages, maxBytes);
    }

    /// <summary>
    /// HKDF-SHA256 of the data key: version 1 salts with the whole message id, version 2 with its first 24 bytes; the
    /// info is the version's label and the suite id, so two versions or suites never share a content key.
    /// </summary>
    public static void Derive(ReadOnlySpan<byte> dataKey, EnvelopeAlgorithmSuite suite, byte formatVersion, ReadOnlySpan<byte> salt, Span<byte> contentKey)
    {
        if (dataKey.Length != MessageCipher.DataKeyLength)
        {
            throw new EnvelopeDecryptionException(EnvelopeErrorReason.InvalidDataKey, "The data key is not 256 bits long.");
        }

        var label = formatVersion == 1 ? s_v1Label : s_v2Label;
        Span<byte> info = stackalloc byte[label.Length + 2];
        label.CopyTo(info);
        BinaryPrimitives.WriteUInt16BigEndian(info[label.Length..], (ushort)suite);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, contentKey, salt, info);
    }

    /// <summary>
    /// Reserves the next message number and counts <paramref name="bytes"/>; false once the key reached either limit
    /// (or was disposed), when the caller needs a new content key.
    /// </summary>
    public bool TryReserve(long bytes, out ulong messageNumber)
    {
        lock (_gate)
        {
            if (_disposed != 0 || _messages >= _maxMessages || bytes > _maxBytes - _bytes)
            {
                messageNumber = 0;
                return false;
            }

            messageNumber = (ulong)_messages++;
            _bytes += bytes;
            return true;
        }
    }

    /// <summary>An <see cref="AesGcm"/> under this key for one message, or null once the key was disposed.</summary>
    public AesGcm? Rent()
    {
        for (var i = 0; i < _idle.Length; i++)
        {
            var aes = Interlocked.Exchange(ref _idle[i], null);
            if (aes is not null)
            {
                return aes;
            }
        }

        lock (_gate)
        {
            // Under the gate: Dispose zeroes the key under it too, so no instance is ever built from a zeroed key.
            return _disposed != 0 ? null : new AesGcm(_key, MessageCipher.TagLength);
        }
    }

    /// <summary>Gives an instance back for the next message; disposes it when the pool is full or the key retired.</summary>
    public void Return(AesGcm aes)
    {
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _idle[i], aes, null) is null)
            {
                // Dispose may have swept the slots between the check below and now; whoever takes it back disposes it.
                if (Volatile.Read(ref _disposed) != 0)
                {
                    Interlocked.Exchange(ref _idle[i], null)?.Dispose();
                }

                return;
            }
        }

        aes.Dispose();
    }

    /// <summary>
    /// Zeroes the key and frees the idle instances; instances rented by messages in flight are freed when returned.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed != 0)
            {
                return;
            }

            Volatile.Write(ref _disposed, 1);
            CryptographicOperations.ZeroMemory(_key);
        }

        for (var i = 0; i < _idle.Length; i++)
        {
            Interlocked.Exchange(ref _idle[i], null)?.Dispose();
        }
    }
}

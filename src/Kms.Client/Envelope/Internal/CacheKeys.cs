using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// Cache keys: SHA-256 over length-prefixed fields, so no two different inputs (partition, key, suite, context,
/// wrapped key) can produce the same key, and the cache holds no context values in clear. The fields are laid out in
/// one buffer and hashed in one call: an encrypt-side key is computed for every message, and each incremental hash
/// step is a call into OpenSSL.
/// </summary>
internal static class CacheKeys
{
    private const int StackLimit = 1024;

    public static string ForEncryption(string partitionId, string keyIdOrAlias, EnvelopeAlgorithmSuite suite, byte[] canonicalContext)
    {
        var length = Field("encrypt"u8.Length) + Field(Encoding.UTF8.GetByteCount(partitionId)) + Field(Encoding.UTF8.GetByteCount(keyIdOrAlias))
            + 2 + Field(canonicalContext.Length);
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var writer = new FieldWriter(buffer);
            writer.Append("encrypt"u8);
            writer.Append(partitionId);
            writer.Append(keyIdOrAlias);
            writer.AppendSuite(suite);
            writer.Append(canonicalContext);
            return Digest(buffer[..writer.Written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static string ForDecryption(string partitionId, EnvelopeAlgorithmSuite suite, IReadOnlyList<EncryptedDataKey> encryptedDataKeys, byte[] canonicalContext)
    {
        var length = Field("decrypt"u8.Length) + Field(Encoding.UTF8.GetByteCount(partitionId)) + 2 + Field(canonicalContext.Length) + 4;
        foreach (var encryptedDataKey in encryptedDataKeys)
        {
            length += Field(Encoding.UTF8.GetByteCount(encryptedDataKey.KeyId)) + Field(encryptedDataKey.Ciphertext.Length);
        }

        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var writer = new FieldWriter(buffer);
            writer.Append("decrypt"u8);
            writer.Append(partitionId);
            writer.AppendSuite(suite);
            writer.Append(canonicalContext);
            writer.AppendCount(encryptedDataKeys.Count);
            foreach (var encryptedDataKey in encryptedDataKeys)
            {
                writer.Append(encryptedDataKey.KeyId);
                writer.Append(encryptedDataKey.Ciphertext);
            }

            return Digest(buffer[..writer.Written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int Field(int length) => 4 + length;

    // One hash object per thread, reset by every digest: a one-shot SHA256.HashData allocates and frees an OpenSSL
    // digest context (and looks the algorithm up) per call, which was most of a cached message's hashing cost.
    [ThreadStatic]
    private static IncrementalHash? t_sha256;

    private static string Digest(ReadOnlySpan<byte> input)
    {
        var sha256 = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        sha256.AppendData(input);
        sha256.GetHashAndReset(hash);
        return Convert.ToHexString(hash);
    }

    /// <summary>Appends u32-length-prefixed fields (and the fixed-size suite and count) to a buffer sized in advance.</summary>
    private ref struct FieldWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Written { get; private set; }

        public void Append(ReadOnlySpan<byte> field)
        {
            AppendCount(field.Length);
            field.CopyTo(_buffer[Written..]);
            Written += field.Length;
        }

        public void Append(string field)
        {
            var length = Encoding.UTF8.GetBytes(field, _buffer[(Written + 4)..]);
            AppendCount(length);
            Written += length;
        }

        public void AppendSuite(EnvelopeAlgorithmSuite suite)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_buffer[Written..], (ushort)suite);
            Written += 2;
        }

        public void AppendCount(int count)
        {
            BinaryPrimitives.WriteInt32BigEndian(_buffer[Written..], count);
            Written += 4;
        }
    }
}

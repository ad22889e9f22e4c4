using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// Cache keys: SHA-256 over length-prefixed fields, so no two different inputs (partition, key, suite, context,
/// wrapped key) can produce the same key, and the cache holds no context values in clear.
/// </summary>
internal static class CacheKeys
{
    public static string ForEncryption(string partitionId, string keyIdOrAlias, EnvelopeAlgorithmSuite suite, byte[] canonicalContext)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendField(hash, "encrypt"u8);
        AppendField(hash, Encoding.UTF8.GetBytes(partitionId));
        AppendField(hash, Encoding.UTF8.GetBytes(keyIdOrAlias));
        AppendSuite(hash, suite);
        AppendField(hash, canonicalContext);
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public static string ForDecryption(string partitionId, EnvelopeAlgorithmSuite suite, IReadOnlyList<EncryptedDataKey> encryptedDataKeys, byte[] canonicalContext)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendField(hash, "decrypt"u8);
        AppendField(hash, Encoding.UTF8.GetBytes(partitionId));
        AppendSuite(hash, suite);
        AppendField(hash, canonicalContext);
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(count, encryptedDataKeys.Count);
        hash.AppendData(count);
        foreach (var encryptedDataKey in encryptedDataKeys)
        {
            AppendField(hash, Encoding.UTF8.GetBytes(encryptedDataKey.KeyId));
            AppendField(hash, encryptedDataKey.Ciphertext);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static void AppendSuite(IncrementalHash hash, EnvelopeAlgorithmSuite suite)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)suite);
        hash.AppendData(bytes);
    }

    private static void AppendField(IncrementalHash hash, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, field.Length);
        hash.AppendData(length);
        hash.AppendData(field);
    }
}

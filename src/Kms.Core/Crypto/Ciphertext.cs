using System.Buffers.Binary;

namespace Kms.Core.Crypto;

/// <summary>
/// The self-describing ciphertext format (version 1), documented byte by byte in docs/ciphertext-format.md:
/// <code>
/// 0  u8   format version (1)
/// 1  u8   algorithm (1 = AES-256-GCM, 96-bit IV, 128-bit tag)
/// 2  16   key id (UUID, RFC 4122 byte order)
/// 18 u32  key version (big-endian)
/// 22 12   IV
/// 34 n    encrypted data
/// .. 16   GCM tag
/// </code>
/// The AAD is the 22-byte header followed by the canonical encryption context, so a ciphertext cannot be
/// moved to another key, version or context without failing authentication.
/// </summary>
public readonly struct Ciphertext
{
    public const byte FormatVersion1 = 1;
    public const byte AlgorithmAes256Gcm = 1;
    public const int HeaderLength = 22;
    public const int IvLength = 12;
    public const int TagLength = 16;
    public const int Overhead = HeaderLength + IvLength + TagLength;

    private readonly ReadOnlyMemory<byte> _blob;

    private Ciphertext(ReadOnlyMemory<byte> blob, Guid keyId, int version)
    {
        _blob = blob;
        KeyId = keyId;
        Version = version;
    }

    public Guid KeyId { get; }

    public int Version { get; }

    public ReadOnlyMemory<byte> Header => _blob[..HeaderLength];

    public ReadOnlyMemory<byte> Iv => _blob.Slice(HeaderLength, IvLength);

    /// <summary>Encrypted data followed by the tag, as PKCS#11 CKM_AES_GCM takes it.</summary>
    public ReadOnlyMemory<byte> EncryptedDataAndTag => _blob[(HeaderLength + IvLength)..];

    /// <summary>Parses the header only; authenticity is established by decryption.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> blob, out Ciphertext ciphertext)
    {
        ciphertext = default;
        var span = blob.Span;
        if (span.Length < Overhead || span[0] != FormatVersion1 || span[1] != AlgorithmAes256Gcm)
        {
            return false;
        }

        var version = BinaryPrimitives.ReadUInt32BigEndian(span[18..22]);
        if (version is 0 or > int.MaxValue)
        {
            return false;
        }

        ciphertext = new Ciphertext(blob, new Guid(span[2..18], bigEndian: true), (int)version);
        return true;
    }

    public static void WriteHeader(Span<byte> destination, Guid keyId, int version)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        destination[0] = FormatVersion1;
        destination[1] = AlgorithmAes256Gcm;
        if (!keyId.TryWriteBytes(destination[2..18], bigEndian: true, out _))
        {
            throw new ArgumentException("Destination too short.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[18..22], (uint)version);
    }

    /// <summary>AAD = header || canonical encryption context.</summary>
    public static byte[] BuildAad(ReadOnlySpan<byte> header, EncryptionContext context)
    {
        var aad = new byte[header.Length + context.CanonicalLength];
        header.CopyTo(aad);
        context.WriteCanonical(aad.AsSpan(header.Length));
        return aad;
    }

    /// <summary>Assembles header || IV || encrypted data || tag.</summary>
    public static byte[] Assemble(ReadOnlySpan<byte> header, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> encryptedDataAndTag)
    {
        var blob = new byte[header.Length + iv.Length + encryptedDataAndTag.Length];
        header.CopyTo(blob);
        iv.CopyTo(blob.AsSpan(header.Length));
        encryptedDataAndTag.CopyTo(blob.AsSpan(header.Length + iv.Length));
        return blob;
    }
}

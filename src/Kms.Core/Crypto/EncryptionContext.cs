using System.Buffers.Binary;
using System.Text;
using Kms.Core.Errors;

namespace Kms.Core.Crypto;

/// <summary>
/// A validated encryption context: string pairs bound to a ciphertext as additional authenticated data.
/// The canonical form (see docs/ciphertext-format.md) sorts pairs by the UTF-8 bytes of their keys, so the
/// same map always authenticates the same way whatever order a caller sent.
/// </summary>
public sealed class EncryptionContext
{
    public const int MaxPairs = 64;
    public const int MaxCanonicalBytes = 8192;

    private readonly (byte[] Key, byte[] Value)[] _pairs;

    private EncryptionContext((byte[] Key, byte[] Value)[] pairs, IReadOnlyList<string> keys, IReadOnlyDictionary<string, string> values)
    {
        _pairs = pairs;
        Keys = keys;
        Values = values;
    }

    public static EncryptionContext Empty { get; } = new([], [], new Dictionary<string, string>());

    /// <summary>The pairs, for policy conditions. Never log or return these: context values can be sensitive.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>Context keys in canonical order. Audit records carry these, never the values.</summary>
    public IReadOnlyList<string> Keys { get; }

    public int Count => _pairs.Length;

    /// <param name="field">Request field name used in error messages.</param>
    public static EncryptionContext From(IReadOnlyDictionary<string, string>? context, string field = "context")
    {
        if (context is null || context.Count == 0)
        {
            return Empty;
        }

        if (context.Count > MaxPairs)
        {
            throw KmsErrors.Validation($"'{field}' has {context.Count} entries; at most {MaxPairs} are allowed.");
        }

        var pairs = new (byte[] Key, byte[] Value)[context.Count];
        var i = 0;
        var size = 2;
        foreach (var (key, value) in context)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw KmsErrors.Validation($"'{field}' has an empty key.");
            }

            if (value is null)
            {
                throw KmsErrors.Validation($"'{field}' values must be strings.");
            }

            pairs[i++] = (Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
            size += 4 + pairs[i - 1].Key.Length + pairs[i - 1].Value.Length;
            if (size > MaxCanonicalBytes)
            {
                throw KmsErrors.Validation($"'{field}' is larger than {MaxCanonicalBytes} bytes.");
            }
        }

        Array.Sort(pairs, static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return new EncryptionContext(pairs, pairs.Select(p => Encoding.UTF8.GetString(p.Key)).ToArray(),
            new Dictionary<string, string>(context, StringComparer.Ordinal));
    }

    /// <summary>Length of <see cref="WriteCanonical"/>'s output.</summary>
    public int CanonicalLength => 2 + _pairs.Sum(p => 4 + p.Key.Length + p.Value.Length);

    /// <summary>u16 count, then per pair: u16 key length, key, u16 value length, value (big-endian, UTF-8).</summary>
    public void WriteCanonical(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)_pairs.Length);
        var offset = 2;
        foreach (var (key, value) in _pairs)
        {
            offset = WriteField(destination, offset, key);
            offset = WriteField(destination, offset, value);
        }
    }

    private static int WriteField(Span<byte> destination, int offset, byte[] field)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)field.Length);
        field.CopyTo(destination[(offset + 2)..]);
        return offset + 2 + field.Length;
    }
}

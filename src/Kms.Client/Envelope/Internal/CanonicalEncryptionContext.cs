using System.Buffers.Binary;
using System.Text;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// The encryption context's one byte form, the same as the KMS's: u16 pair count, then for each pair sorted by the
/// key's UTF-8 bytes (unsigned, bytewise) a u16-length-prefixed UTF-8 key and value. One map has exactly one form,
/// so the header authenticates the map, not an encoding of it.
/// </summary>
internal static class CanonicalEncryptionContext
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IReadOnlyDictionary<string, string> Empty { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Validates a caller's context and returns its canonical bytes.</summary>
    public static byte[] Encode(IReadOnlyDictionary<string, string>? context)
    {
        context ??= Empty;
        if (context.Count > EnvelopeLimits.MaxContextPairs)
        {
            throw new ArgumentException($"The encryption context has more than {EnvelopeLimits.MaxContextPairs} pairs.", nameof(context));
        }

        var pairs = new List<(byte[] Key, byte[] Value)>(context.Count);
        foreach (var (key, value) in context)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException("An encryption context key is empty.", nameof(context));
            }

            ArgumentNullException.ThrowIfNull(value, nameof(context));
            pairs.Add((GetUtf8(key, nameof(context)), GetUtf8(value, nameof(context))));
        }

        pairs.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        for (var i = 1; i < pairs.Count; i++)
        {
            // A dictionary with a non-ordinal comparer could still hold two keys with the same bytes only if they
            // were equal strings; refuse rather than encode an ambiguous map.
            if (pairs[i - 1].Key.AsSpan().SequenceEqual(pairs[i].Key))
            {
                throw new ArgumentException("The encryption context has duplicate keys.", nameof(context));
            }
        }

        var length = 2;
        foreach (var (key, value) in pairs)
        {
            if (key.Length > ushort.MaxValue || value.Length > ushort.MaxValue)
            {
                throw new ArgumentException("An encryption context key or value is too long.", nameof(context));
            }

            length += 4 + key.Length + value.Length;
        }

        if (length > EnvelopeLimits.MaxCanonicalContextBytes)
        {
            throw new ArgumentException($"The encryption context is larger than {EnvelopeLimits.MaxCanonicalContextBytes} bytes in canonical form.", nameof(context));
        }

        var bytes = new byte[length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)pairs.Count);
        span = span[2..];
        foreach (var (key, value) in pairs)
        {
            span = WriteField(span, key);
            span = WriteField(span, value);
        }

        return bytes;
    }

    /// <summary>
    /// Parses canonical bytes from a message. Anything but the canonical form (unsorted, duplicate keys, invalid
    /// UTF-8, bytes left over) is malformed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 2)
        {
            throw EnvelopeDecryptionException.Malformed("encryption context too short");
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (count > EnvelopeLimits.MaxContextPairs)
        {
            throw EnvelopeDecryptionException.Malformed("too many encryption context pairs");
        }

        var rest = bytes[2..];
        var map = new Dictionary<string, string>(count, StringComparer.Ordinal);
        byte[] previousKey = [];
        for (var i = 0; i < count; i++)
        {
            var key = ReadField(ref rest);
            var value = ReadField(ref rest);
            if (key.IsEmpty || (i > 0 && previousKey.AsSpan().SequenceCompareTo(key) >= 0))
            {
                throw EnvelopeDecryptionException.Malformed("encryption context keys not in canonical order");
            }

            previousKey = key.ToArray();
            map.Add(DecodeUtf8(key), DecodeUtf8(value));
        }

        if (!rest.IsEmpty)
        {
            throw EnvelopeDecryptionException.Malformed("bytes after the encryption context");
        }

        return map;
    }

    private static byte[] GetUtf8(string text, string paramName)
    {
        try
        {
            return s_strictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            // Lone surrogates have no UTF-8 form; silently replacing them would change the authenticated map.
            throw new ArgumentException("An encryption context key or value is not valid Unicode.", paramName);
        }
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw EnvelopeDecryptionException.Malformed("encryption context is not valid UTF-8");
        }
    }

    private static Span<byte> WriteField(Span<byte> destination, byte[] field)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)field.Length);
        field.CopyTo(destination[2..]);
        return destination[(2 + field.Length)..];
    }

    private static ReadOnlySpan<byte> ReadField(ref ReadOnlySpan<byte> source)
    {
        if (source.Length < 2)
        {
            throw EnvelopeDecryptionException.Malformed("encryption context truncated");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(source);
        if (source.Length < 2 + length)
        {
            throw EnvelopeDecryptionException.Malformed("encryption context truncated");
        }

        var field = source.Slice(2, length);
        source = source[(2 + length)..];
        return field;
    }
}

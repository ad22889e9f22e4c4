using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kms.Core.Errors;

namespace Kms.Api.Http;

/// <summary>
/// A base64 request field decoded by the JSON reader straight from the body's UTF-8 bytes, so a batch of plaintexts
/// is never held as .NET strings. Text that is not base64 is kept as "invalid" rather than failing the whole body:
/// <see cref="Base64Field.Required(Base64Bytes?, string)"/> then raises the same per-field error it raises for a string.
/// Accepts exactly what <see cref="Convert.TryFromBase64String"/> accepts (standard alphabet, padding, whitespace).
/// </summary>
[JsonConverter(typeof(Base64BytesConverter))]
public sealed class Base64Bytes
{
    private static readonly Base64Bytes Invalid = new(null);

    private readonly byte[]? _bytes;

    private Base64Bytes(byte[]? bytes) => _bytes = bytes;

    /// <summary>The decoded bytes (the caller's to zero), or the field's invalid-base64 error.</summary>
    public byte[] GetBytes(string field) => _bytes ?? throw KmsErrors.InvalidBase64(field);

    /// <summary>Zeroes the decoded bytes (a plaintext field, once the request is done with it).</summary>
    public void Clear()
    {
        if (_bytes is not null)
        {
            CryptographicOperations.ZeroMemory(_bytes);
        }
    }

    /// <summary>Decodes the unescaped UTF-8 text of a JSON string; null when it is not plain padded base64 (the caller decides then).</summary>
    internal static Base64Bytes? TryDecodeUtf8(ReadOnlySpan<byte> utf8)
    {
        // Length known exactly for padded base64 without whitespace, so the result is decoded in place, no copy.
        if (utf8.Length % 4 != 0)
        {
            return null;
        }

        var padding = utf8.Length == 0 ? 0 : utf8[^1] != '=' ? 0 : utf8[^2] == '=' ? 2 : 1;
        var bytes = new byte[(utf8.Length / 4 * 3) - padding];
        if (Base64.DecodeFromUtf8(utf8, bytes, out _, out var written) == OperationStatus.Done && written == bytes.Length)
        {
            return new Base64Bytes(bytes);
        }

        CryptographicOperations.ZeroMemory(bytes);
        return null;
    }

    /// <summary>The rule of <see cref="Base64Field"/> for text the fast path did not take (whitespace, or not base64 at all).</summary>
    internal static Base64Bytes FromString(string text) => Base64Field.TryDecode(text, out var bytes) ? new Base64Bytes(bytes) : Invalid;
}

/// <summary>Reads a JSON string into <see cref="Base64Bytes"/> from its UTF-8 bytes; writes standard padded base64.</summary>
public sealed class Base64BytesConverter : JsonConverter<Base64Bytes>
{
    public override Base64Bytes Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // The serializer adds the path; the same kind of error a string field gives for a number or an object.
            throw new JsonException();
        }

        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            return Base64Bytes.TryDecodeUtf8(reader.ValueSpan) ?? Base64Bytes.FromString(reader.GetString()!);
        }

        // Escaped (\u0041...) or split across segments: unescape into a pooled buffer, zeroed after (it may be plaintext).
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        var written = 0;
        try
        {
            written = reader.CopyString(rented);
            return Base64Bytes.TryDecodeUtf8(rented.AsSpan(0, written)) ?? Base64Bytes.FromString(reader.GetString()!);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, written));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override void Write(Utf8JsonWriter writer, Base64Bytes value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteBase64StringValue(value.GetBytes("value"));
    }
}

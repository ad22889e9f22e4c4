using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kms.Api.Http;

/// <summary>
/// Writes bytes as the base64 JSON string <see cref="Convert.ToBase64String(byte[])"/> gave before, without making
/// that string: base64 is encoded into a pooled UTF-8 buffer (zeroed after: it may be plaintext) and written as a
/// string value, so the writer escapes it as it escaped the string ('+' as \u002B with the default encoder).
/// The serializer's own byte[] handling writes '+' raw, which would change the bytes of every answer.
/// </summary>
public sealed class Base64StringConverter : JsonConverter<byte[]>
{
    public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetBytesFromBase64();

    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        var length = Base64.GetMaxEncodedToUtf8Length(value.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Base64.EncodeToUtf8(value, rented, out _, out var written);
            writer.WriteStringValue(rented.AsSpan(0, written));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>Marks a byte[] property written by <see cref="Base64StringConverter"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class Base64StringAttribute : JsonConverterAttribute
{
    public override JsonConverter? CreateConverter(Type typeToConvert) => new Base64StringConverter();
}

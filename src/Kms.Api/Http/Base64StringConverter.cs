using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kms.Api.Http;

/// <summary>
/// Writes bytes as a standard padded base64 JSON string, encoded straight into the writer's buffer: no string is made
/// and nothing is escaped (the base64 alphabet needs no escaping in JSON; System.Text.Json's default encoder would
/// escape '+' as \u002B, which any JSON reader decodes to the same string but which cost a byte-by-byte escape pass
/// over every ciphertext and plaintext answered). This is also how Kms.Client and System.Text.Json write byte[].
/// </summary>
public sealed class Base64StringConverter : JsonConverter<byte[]>
{
    public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetBytesFromBase64();

    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteBase64StringValue(value);
    }
}

/// <summary>Marks a byte[] property written by <see cref="Base64StringConverter"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class Base64StringAttribute : JsonConverterAttribute
{
    public override JsonConverter? CreateConverter(Type typeToConvert) => new Base64StringConverter();
}

using System.Security.Cryptography;
using Kms.Core.Errors;

namespace Kms.Api.Http;

/// <summary>Decodes base64 request fields with errors that name the field (never its value).</summary>
public static class Base64Field
{
    public static byte[] Required(string? value, string field) =>
        value is null ? throw KmsErrors.MissingField(field) : Decode(value, field);

    /// <summary>A field the JSON reader already decoded: the same errors as for the string form (missing, then invalid).</summary>
    public static byte[] Required(Base64Bytes? value, string field) =>
        value is null ? throw KmsErrors.MissingField(field) : value.GetBytes(field);

    public static byte[]? Optional(string? value, string field) => value is null ? null : Decode(value, field);

    private static byte[] Decode(string value, string field) =>
        TryDecode(value, out var bytes) ? bytes : throw KmsErrors.InvalidBase64(field);

    /// <summary>The one rule for what a base64 field accepts (<see cref="Convert.TryFromBase64String"/>: standard alphabet,
    /// padding, whitespace); the scratch buffer is zeroed, as it may hold plaintext.</summary>
    internal static bool TryDecode(string value, out byte[] bytes)
    {
        var buffer = new byte[(value.Length * 3 / 4) + 3];
        try
        {
            var decoded = Convert.TryFromBase64String(value, buffer, out var written);
            bytes = decoded ? buffer.AsSpan(0, written).ToArray() : [];
            return decoded;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}

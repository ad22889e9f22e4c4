using System.Buffers.Text;
using System.Text;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// Continuation tokens handed to callers: the SDK's token (next partition and row key) behind a version tag,
/// base64url-encoded so it is opaque and URL-safe. The tag lets a garbled or foreign token be rejected as bad
/// input instead of reaching the service.
/// </summary>
internal static class ContinuationTokens
{
    private const string Tag = "kms1:";
    private const int MaxLength = 4096;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string? Wrap(string? sdkToken) =>
        string.IsNullOrEmpty(sdkToken) ? null : Base64Url.EncodeToString(StrictUtf8.GetBytes(Tag + sdkToken));

    public static bool TryUnwrap(string token, out string sdkToken)
    {
        sdkToken = string.Empty;
        if (token.Length > MaxLength || !Base64Url.IsValid(token))
        {
            return false;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return false;
        }

        if (!text.StartsWith(Tag, StringComparison.Ordinal) || text.Length == Tag.Length)
        {
            return false;
        }

        sdkToken = text[Tag.Length..];
        return true;
    }
}

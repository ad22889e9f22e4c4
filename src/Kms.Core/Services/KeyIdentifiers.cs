using System.Text.RegularExpressions;
using Kms.Core.Errors;

namespace Kms.Core.Services;

/// <summary>Rules for key ids and alias names, in one place.</summary>
public static partial class KeyIdentifiers
{
    /// <summary>A new key id: a random UUID in lowercase "D" form. The ciphertext header carries its 16 bytes.</summary>
    public static string NewKeyId() => Guid.NewGuid().ToString("D");

    /// <summary>True when <paramref name="value"/> is a key id (UUID), with its normalised form.</summary>
    public static bool TryParseKeyId(string? value, out string keyId)
    {
        if (Guid.TryParseExact(value, "D", out var guid))
        {
            keyId = guid.ToString("D");
            return true;
        }

        keyId = string.Empty;
        return false;
    }

    /// <summary>Normalises a key id or raises KeyNotFound (an unparseable id names no key).</summary>
    public static string RequireKeyId(string? value) =>
        TryParseKeyId(value, out var keyId) ? keyId : throw KmsErrors.KeyNotFound(value ?? string.Empty);

    /// <summary>
    /// Alias names: 1 to 128 characters of letters, digits, '.', '_' and '-', starting with a letter or digit,
    /// and never UUID-shaped so an alias can not shadow a key id.
    /// </summary>
    public static void ValidateAlias(string? alias)
    {
        if (alias is null || !AliasPattern().IsMatch(alias) || TryParseKeyId(alias, out _))
        {
            throw KmsErrors.Validation(
                "An alias is 1 to 128 characters of letters, digits, '.', '_' and '-', starts with a letter or digit, and is not a key id.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex AliasPattern();
}

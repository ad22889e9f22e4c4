using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Kms.Client.AspNetCore.Internal;

/// <summary>
/// Checks the secret a delivery carries against the configured ones in constant time. Both sides are hashed first, so
/// neither the comparison time nor an early length mismatch tells a caller how close a guess was.
/// </summary>
internal sealed class SharedSecretCheck
{
    private readonly byte[][] _expected;
    private readonly string _queryParameter;
    private readonly string _header;

    public SharedSecretCheck(KmsEventsOptions options)
    {
        _expected = [.. options.SharedSecrets.Select(Hash)];
        _queryParameter = options.SecretQueryParameter;
        _header = options.SecretHeader;
    }

    public bool IsRequired => _expected.Length > 0;

    public bool Accepts(HttpRequest request)
    {
        if (!IsRequired)
        {
            return true;
        }

        // The local stand-in and Event Grid both keep the endpoint URL's query string; Event Grid can also send a header
        // (a delivery property), which keeps the secret out of URL logs.
        var accepted = false;
        foreach (var presented in request.Query[_queryParameter].Concat(request.Headers[_header]))
        {
            accepted |= Matches(presented);
        }

        return accepted;
    }

    private bool Matches(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var hash = Hash(presented);
        var matched = false;
        foreach (var expected in _expected)
        {
            // No early exit: every configured secret is compared.
            matched |= CryptographicOperations.FixedTimeEquals(hash, expected);
        }

        return matched;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Core;

namespace Kms.Client;

/// <summary>
/// A <see cref="TokenCredential"/> for a LOCAL KMS (<c>Kms:Auth:Mode=Dev</c>): it signs its own tokens with the
/// development issuer's EC P-256 private key, the PEM file <c>infra/local/up.sh</c> creates
/// (<c>.data/local/dev-issuer.pem</c>). The tokens are those <c>kms token</c> mints: ES256, issuer
/// <c>kms-dev-issuer</c>, audience from the requested scope (<c>api://kms/.default</c> → <c>api://kms</c>), <c>sub</c>
/// the principal, <c>roles</c> the roles, a fresh <c>jti</c>. A token is reused until shortly before it expires.
/// Never use it against a KMS in Azure: whoever reads the key file can mint any principal.
/// </summary>
public sealed class KmsDevCredential : TokenCredential, IDisposable
{
    /// <summary>The issuer the local KMS trusts by default (<c>Kms:Auth:DevIssuer:Issuer</c>).</summary>
    public const string DefaultIssuer = "kms-dev-issuer";

    /// <summary>A new token is minted once the cached one has less than this left.</summary>
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly ECDsa _key;
    private readonly string _keyId;
    private readonly string _principal;
    private readonly string[] _roles;
    private readonly string _issuer;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly Dictionary<string, AccessToken> _cache = new(StringComparer.Ordinal);

    /// <param name="privateKeyPem">The issuer's private key (PKCS#8 or SEC1 PEM).</param>
    /// <param name="principal">The caller the KMS sees (<c>sub</c>).</param>
    /// <param name="roles">e.g. <c>kms.admin</c>, <c>kms.crypto</c>.</param>
    /// <param name="lifetime">Of each token: 60 minutes by default (as <c>kms token</c>), at least 10 minutes.</param>
    public KmsDevCredential(string privateKeyPem, string principal, IEnumerable<string> roles, string issuer = DefaultIssuer,
        TimeSpan? lifetime = null)
        : this(privateKeyPem, principal, roles, issuer, lifetime, TimeProvider.System)
    {
    }

    internal KmsDevCredential(string privateKeyPem, string principal, IEnumerable<string> roles, string issuer, TimeSpan? lifetime,
        TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(privateKeyPem);
        ArgumentException.ThrowIfNullOrWhiteSpace(principal);
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        _lifetime = lifetime ?? TimeSpan.FromMinutes(60);
        if (_lifetime < TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "A dev token lives at least 10 minutes (tokens are refreshed 5 minutes early).");
        }

        _key = ECDsa.Create();
        try
        {
            _key.ImportFromPem(privateKeyPem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            _key.Dispose();
            // Not the key's text: only what was expected.
            throw new ArgumentException("The dev issuer key must be a PEM EC P-256 private key (the file infra/local/up.sh creates).",
                nameof(privateKeyPem));
        }

        if (_key.KeySize != 256)
        {
            _key.Dispose();
            throw new ArgumentException("The dev issuer key must be on the P-256 curve (ES256).", nameof(privateKeyPem));
        }

        _keyId = Base64Url(SHA256.HashData(_key.ExportSubjectPublicKeyInfo()).AsSpan(0, 12));
        _principal = principal;
        _roles = roles.Distinct(StringComparer.Ordinal).ToArray();
        _issuer = issuer;
        _time = time;
    }

    /// <summary>Reads the key from <paramref name="keyFile"/>, e.g. <c>.data/local/dev-issuer.pem</c>.</summary>
    public static KmsDevCredential FromKeyFile(string keyFile, string principal, params string[] roles)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyFile);
        return new KmsDevCredential(File.ReadAllText(keyFile), principal, roles);
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var audience = AudienceOf(requestContext.Scopes);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_cache.TryGetValue(audience, out var cached) && cached.ExpiresOn - now > RefreshMargin)
            {
                return cached;
            }

            var token = Mint(audience, now);
            _cache[audience] = token;
            return token;
        }
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));

    public void Dispose() => _key.Dispose();

    /// <summary><c>api://kms/.default</c> → <c>api://kms</c>: the KMS validates the audience, the scope is an Entra convention.</summary>
    internal static string AudienceOf(string[] scopes)
    {
        if (scopes is not { Length: > 0 } || string.IsNullOrWhiteSpace(scopes[0]))
        {
            return KmsClientOptions.DefaultAudience;
        }

        const string suffix = "/.default";
        var scope = scopes[0];
        return scope.EndsWith(suffix, StringComparison.Ordinal) ? scope[..^suffix.Length] : scope;
    }

    private AccessToken Mint(string audience, DateTimeOffset now)
    {
        var expires = now + _lifetime;
        using var headerStream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(headerStream))
        {
            // kid as the KMS's DevTokenIssuer computes it: base64url of the first 12 bytes of SHA-256(SPKI).
            writer.WriteStartObject();
            writer.WriteString("alg", "ES256");
            writer.WriteString("typ", "JWT");
            writer.WriteString("kid", _keyId);
            writer.WriteEndObject();
        }

        var header = headerStream.ToArray();
        using var payloadStream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(payloadStream))
        {
            writer.WriteStartObject();
            writer.WriteString("sub", _principal);
            writer.WriteString("jti", Guid.NewGuid().ToString("N"));
            if (_roles.Length > 0)
            {
                writer.WriteStartArray("roles");
                foreach (var role in _roles)
                {
                    writer.WriteStringValue(role);
                }

                writer.WriteEndArray();
            }

            writer.WriteString("iss", _issuer);
            writer.WriteString("aud", audience);
            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            writer.WriteNumber("nbf", now.ToUnixTimeSeconds());
            writer.WriteNumber("exp", expires.ToUnixTimeSeconds());
            writer.WriteEndObject();
        }

        var signingInput = Base64Url(header) + "." + Base64Url(payloadStream.ToArray());
        // ES256 (RFC 7518 §3.4): the raw r||s pair, which is .NET's default IEEE P1363 signature format.
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds());
        return new AccessToken(signingInput + "." + Base64Url(signature), expiresAt, expiresAt - RefreshMargin, "Bearer");
    }

    private static string Base64Url(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

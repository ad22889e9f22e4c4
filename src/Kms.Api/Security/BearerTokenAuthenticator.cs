using System.Collections.Concurrent;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Api.Security;

/// <summary>
/// Validates the request's Bearer JWT (signature, issuer, audience, lifetime with bounded skew) and turns it
/// into a <see cref="KmsCaller"/>. Time comes from the injected TimeProvider so skew boundaries are testable.
/// </summary>
public sealed partial class BearerTokenAuthenticator
{
    public const string MissingTokenMessage = "A bearer token is required (Authorization: Bearer <token>).";
    private const int MaxCachedTokens = 10_000;

    private readonly KmsAuthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BearerTokenAuthenticator> _logger;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;

    // Tokens already validated, until they expire: a service sends the same token for many requests, and an
    // ECDSA or RSA signature check per request would cost more than the cryptography it authorizes.
    private readonly ConcurrentDictionary<string, ValidatedToken> _validated = new(StringComparer.Ordinal);

    public BearerTokenAuthenticator(IOptions<KmsAuthOptions> options, TimeProvider time, ILogger<BearerTokenAuthenticator> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        _parameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudience = _options.Audience,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            LifetimeValidator = ValidateLifetime,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256],
            NameClaimType = _options.PrincipalClaim,
            RoleClaimType = _options.RolesClaim,
        };
        if (_options.Mode == KmsAuthOptions.DevMode)
        {
            var issuer = DevTokenIssuer.Load(_options.DevIssuer.SigningKeyFile!, _options.DevIssuer.Issuer);
            _parameters.ValidIssuer = issuer.Issuer;
            _parameters.IssuerSigningKey = issuer.SigningKey;
        }
        else
        {
            // Entra ID: signing keys from the tenant's OpenID metadata, refreshed by the configuration manager.
            var authority = _options.EntraId.Authority;
            _parameters.ValidIssuer = authority;
            _parameters.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                authority + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever { RequireHttps = _options.EntraId.RequireHttpsMetadata });
        }
    }

    public async Task<KmsCaller> AuthenticateAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            throw KmsErrors.Unauthenticated(MissingTokenMessage);
        }

        var token = header[7..].Trim();
        var now = _time.GetUtcNow();
        if (_validated.TryGetValue(token, out var cached))
        {
            if (now <= cached.Expires + _options.ClockSkew)
            {
                return new KmsCaller(cached.Principal, cached.Roles, http.Connection.RemoteIpAddress);
            }

            _validated.TryRemove(token, out _);
        }

        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid)
        {
            var reason = Describe(result.Exception);
            LogRejected(reason, result.Exception?.GetType().Name ?? "unknown");
            throw KmsErrors.Unauthenticated(reason);
        }

        var identity = result.ClaimsIdentity;
        var principal = identity.FindFirst(_options.PrincipalClaim)?.Value;
        if (string.IsNullOrWhiteSpace(principal))
        {
            throw KmsErrors.Unauthenticated($"The token has no '{_options.PrincipalClaim}' claim naming the caller.");
        }

        var roles = identity.FindAll(_options.RolesClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToArray();
        if (_validated.Count >= MaxCachedTokens)
        {
            _validated.Clear();
        }

        _validated[token] = new ValidatedToken(principal, roles, new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero));
        return new KmsCaller(principal, roles, http.Connection.RemoteIpAddress);
    }

    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiry.");
        }

        if (now > expires.Value + _options.ClockSkew)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = expires.Value };
        }

        if (notBefore is { } nbf && now + _options.ClockSkew < nbf)
        {
            throw new SecurityTokenNotYetValidException("The token is not yet valid.") { NotBefore = nbf };
        }

        return true;
    }

    /// <summary>A short, fixed reason per failure class: never the library's message, which can quote the token.</summary>
    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not yet valid.",
        SecurityTokenNoExpirationException => "The token has no expiry.",
        SecurityTokenInvalidAudienceException => "The token is not for this service (audience).",
        SecurityTokenInvalidIssuerException => "The token's issuer is not trusted.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature is not valid.",
        SecurityTokenInvalidAlgorithmException => "The token's signing algorithm is not accepted.",
        SecurityTokenMalformedException or ArgumentException => "The token is malformed.",
        _ => "The token is not valid.",
    };

    private sealed record ValidatedToken(string Principal, string[] Roles, DateTimeOffset Expires);

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Rejected a bearer token: {Reason} ({ExceptionType})")]
    private partial void LogRejected(string reason, string exceptionType);
}

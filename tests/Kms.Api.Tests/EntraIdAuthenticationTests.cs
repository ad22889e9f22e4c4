using System.Security.Claims;
using System.Security.Cryptography;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Api.Tests;

/// <summary>
/// The Entra ID mode against a local OpenID Connect metadata endpoint shaped like Entra's v2.0 one: signing
/// keys come from its JWKS, the principal from <c>oid</c> and the app roles from <c>roles</c>.
/// </summary>
public sealed class EntraIdAuthenticationTests : IAsyncLifetime
{
    private const string Tenant = "11111111-2222-3333-4444-555555555555";
    private readonly RSA _signingKey = RSA.Create(2048);
    private WebApplication _metadata = null!;
    private string _instance = null!;

    private string Authority => $"{_instance.TrimEnd('/')}/{Tenant}/v2.0";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _metadata = builder.Build();
        var parameters = _signingKey.ExportParameters(false);
        _metadata.MapGet($"/{Tenant}/v2.0/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Authority,
            ["jwks_uri"] = $"{_instance.TrimEnd('/')}/{Tenant}/discovery/v2.0/keys",
        }));
        _metadata.MapGet($"/{Tenant}/discovery/v2.0/keys", () => Results.Json(new
        {
            keys = new[]
            {
                new { kty = "RSA", use = "sig", kid = "entra-key-1", n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
            },
        }));
        await _metadata.StartAsync();
        _instance = _metadata.Urls.First() + "/";
    }

    public async Task DisposeAsync()
    {
        await _metadata.DisposeAsync();
        _signingKey.Dispose();
    }

    [Fact]
    public async Task Authenticate_EntraToken_PrincipalFromOid_RolesFromAppRoles()
    {
        var authenticator = Create();

        var caller = await authenticator.AuthenticateAsync(HttpWith(Token(Authority, new RsaSecurityKey(_signingKey) { KeyId = "entra-key-1" })));

        Assert.Equal("object-id-of-billing-app", caller.Principal);
        Assert.Equal([KmsRoles.Crypto], caller.TokenRoles);
    }

    [Fact]
    public async Task Authenticate_KeyNotInTenantMetadata_Rejected()
    {
        using var other = RSA.Create(2048);
        var authenticator = Create();

        var e = await Assert.ThrowsAsync<KmsException>(() =>
            authenticator.AuthenticateAsync(HttpWith(Token(Authority, new RsaSecurityKey(other) { KeyId = "not-published" }))));

        Assert.Equal(KmsErrorCodes.Unauthenticated, e.Code);
        Assert.Equal("The token's signature is not valid.", e.Message);
    }

    [Fact]
    public async Task Authenticate_OtherTenantIssuer_Rejected()
    {
        var authenticator = Create();

        var e = await Assert.ThrowsAsync<KmsException>(() => authenticator.AuthenticateAsync(
            HttpWith(Token($"{_instance.TrimEnd('/')}/99999999-0000-0000-0000-000000000000/v2.0", new RsaSecurityKey(_signingKey) { KeyId = "entra-key-1" }))));

        Assert.Equal("The token's issuer is not trusted.", e.Message);
    }

    private BearerTokenAuthenticator Create() => new(Options.Create(new KmsAuthOptions
    {
        Mode = KmsAuthOptions.EntraIdMode,
        PrincipalClaim = "oid",
        EntraId = { Instance = _instance, TenantId = Tenant, RequireHttpsMetadata = false },
    }), TimeProvider.System, NullLogger<BearerTokenAuthenticator>.Instance);

    private static string Token(string issuer, SecurityKey key) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = issuer,
        Audience = KmsAuthOptions.DefaultAudience,
        Subject = new ClaimsIdentity([new Claim("oid", "object-id-of-billing-app"), new Claim("sub", "pairwise-subject"), new Claim("roles", KmsRoles.Crypto)]),
        Expires = DateTime.UtcNow.AddMinutes(10),
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
    });

    private static DefaultHttpContext HttpWith(string token)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = "Bearer " + token;
        return http;
    }
}

using System.Net.Http.Json;
using System.Security.Cryptography;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Api.Tests;

/// <summary>Every route but health needs a valid bearer token; each rejection is a 401 with WWW-Authenticate and ProblemDetails.</summary>
[Collection(KmsHostCollection.Name)]
public sealed class AuthenticationTests(KmsHostFixture host)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Health_WithoutToken_Ok()
    {
        using var anonymous = host.CreateClientWithToken(null);
        using var response = await anonymous.GetAsync("/api/health");
        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task EveryOtherRoute_WithoutToken_401WithChallenge()
    {
        using var anonymous = host.CreateClientWithToken(null);
        foreach (var route in KmsRoutes.All.Where(r => !r.AllowAnonymous))
        {
            var path = route.Path.Replace("{keyIdOrAlias}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{keyId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{version}", "1", StringComparison.Ordinal)
                .Replace("{alias}", "some-alias", StringComparison.Ordinal)
                .Replace("{approvalId}", "a1", StringComparison.Ordinal)
                .Replace("{assignmentId}", "r1", StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
            if (route.Method is "POST" or "PUT")
            {
                request.Content = JsonContent.Create(new { });
            }

            using var response = await anonymous.SendAsync(request);

            await Problems.AssertProblemAsync(response, 401, KmsErrorCodes.Unauthenticated);
            Assert.Equal("Bearer realm=\"kms\"", response.Headers.WwwAuthenticate.ToString());
        }
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "expired", "The token has expired." },
        { "not-yet-valid", "The token is not yet valid." },
        { "wrong-signature", "The token's signature is not valid." },
        { "wrong-audience", "The token is not for this service (audience)." },
        { "wrong-issuer", "The token's issuer is not trusted." },
        { "malformed", "The token is malformed." },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Request_BadToken_401InvalidToken(string kind, string reason)
    {
        using var client = host.CreateClientWithToken(BadToken(kind));

        using var response = await client.GetAsync("/api/keys");

        var problem = await Problems.AssertProblemAsync(response, 401, KmsErrorCodes.Unauthenticated);
        Assert.Equal(reason, problem.GetProperty("detail").GetString());
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(119, true)]
    [InlineData(121, false)]
    public void Authenticate_ExpiredWithinSkew_AcceptedOnlyInsideTwoMinutes(int secondsPastExpiry, bool accepted)
    {
        var (authenticator, issuer, time) = CreateAuthenticator();
        var token = issuer.Mint("alice", [KmsRoles.Crypto], KmsAuthOptions.DefaultAudience, time.GetUtcNow().AddMinutes(-10), TimeSpan.FromMinutes(10));
        time.Advance(TimeSpan.FromSeconds(secondsPastExpiry));

        var outcome = Record(authenticator, token);

        Assert.Equal(accepted, outcome is null);
    }

    [Theory]
    [InlineData(119, true)]
    [InlineData(121, false)]
    public void Authenticate_NotBeforeWithinSkew_AcceptedOnlyInsideTwoMinutes(int secondsBeforeNotBefore, bool accepted)
    {
        var (authenticator, issuer, time) = CreateAuthenticator();
        var now = time.GetUtcNow();
        var token = issuer.Mint("alice", [KmsRoles.Crypto], KmsAuthOptions.DefaultAudience, now, TimeSpan.FromHours(1),
            notBefore: now.AddSeconds(secondsBeforeNotBefore));

        var outcome = Record(authenticator, token);

        Assert.Equal(accepted, outcome is null);
        if (!accepted)
        {
            Assert.Equal("The token is not yet valid.", outcome);
        }
    }

    [Fact]
    public void Authenticate_ConfiguredSkew_IsHonoured()
    {
        var (authenticator, issuer, time) = CreateAuthenticator(TimeSpan.FromSeconds(10));
        var token = issuer.Mint("alice", [], KmsAuthOptions.DefaultAudience, time.GetUtcNow(), TimeSpan.FromMinutes(1));
        time.Advance(TimeSpan.FromSeconds(75));

        Assert.Equal("The token has expired.", Record(authenticator, token));
    }

    [Fact]
    public async Task Authenticate_TokenAcceptedBefore_StillExpiresOnTime()
    {
        var (authenticator, issuer, time) = CreateAuthenticator();
        var token = issuer.Mint("alice", [KmsRoles.Crypto], KmsAuthOptions.DefaultAudience, time.GetUtcNow(), TimeSpan.FromMinutes(5));
        await authenticator.AuthenticateAsync(HttpWith(token));
        time.Advance(TimeSpan.FromMinutes(6));
        var stillInsideSkew = Record(authenticator, token);
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(stillInsideSkew);
        Assert.Equal("The token has expired.", Record(authenticator, token));
    }

    [Fact]
    public async Task Authenticate_ValidToken_PrincipalAndRolesFromClaims()
    {
        var (authenticator, issuer, time) = CreateAuthenticator();
        var token = issuer.Mint("svc-billing", [KmsRoles.Crypto, "some.other"], KmsAuthOptions.DefaultAudience, time.GetUtcNow(), TimeSpan.FromMinutes(5));

        var caller = await authenticator.AuthenticateAsync(HttpWith(token));

        Assert.Equal("svc-billing", caller.Principal);
        Assert.Equal([KmsRoles.Crypto, "some.other"], caller.TokenRoles);
    }

    private string BadToken(string kind)
    {
        var roles = new[] { KmsRoles.Admin };
        return kind switch
        {
            "expired" => host.Issuer.Mint("alice", roles, KmsAuthOptions.DefaultAudience, Now.AddHours(-2), TimeSpan.FromMinutes(10)),
            "not-yet-valid" => host.Issuer.Mint("alice", roles, KmsAuthOptions.DefaultAudience, Now, TimeSpan.FromHours(2), notBefore: Now.AddHours(1)),
            "wrong-signature" => host.Issuer.Mint("alice", roles, KmsAuthOptions.DefaultAudience, Now, TimeSpan.FromMinutes(10),
                signWith: new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = host.Issuer.SigningKey.KeyId }),
            "wrong-audience" => host.Issuer.Mint("alice", roles, "api://someone-else", Now, TimeSpan.FromMinutes(10)),
            "wrong-issuer" => OtherIssuerToken(),
            _ => "not.a.jwt",
        };
    }

    private string OtherIssuerToken()
    {
        var dir = Directory.CreateTempSubdirectory("kms-other-issuer");
        try
        {
            var file = Path.Combine(dir.FullName, "k.pem");
            DevTokenIssuer.EnsureKeyFile(file);
            return DevTokenIssuer.Load(file, "someone-else").Mint("alice", [KmsRoles.Admin], KmsAuthOptions.DefaultAudience, Now, TimeSpan.FromMinutes(10),
                signWith: host.Issuer.SigningKey);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (BearerTokenAuthenticator, DevTokenIssuer, FakeTimeProvider) CreateAuthenticator(TimeSpan? skew = null)
    {
        var dir = Directory.CreateTempSubdirectory("kms-auth-unit");
        var file = Path.Combine(dir.FullName, "k.pem");
        DevTokenIssuer.EnsureKeyFile(file);
        var options = new KmsAuthOptions { Mode = KmsAuthOptions.DevMode, DevIssuer = { SigningKeyFile = file } };
        if (skew is { } s)
        {
            options.ClockSkew = s;
        }

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var authenticator = new BearerTokenAuthenticator(Options.Create(options), time, NullLogger<BearerTokenAuthenticator>.Instance);
        var issuer = DevTokenIssuer.Load(file);
        dir.Delete(recursive: true);
        return (authenticator, issuer, time);
    }

    /// <summary>Null when the token is accepted, else the 401 reason.</summary>
    private static string? Record(BearerTokenAuthenticator authenticator, string token)
    {
        try
        {
            authenticator.AuthenticateAsync(HttpWith(token)).GetAwaiter().GetResult();
            return null;
        }
        catch (KmsException e) when (e.Code == KmsErrorCodes.Unauthenticated)
        {
            return e.Message;
        }
    }

    private static DefaultHttpContext HttpWith(string token)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = "Bearer " + token;
        return http;
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>The dev credential's token format and caching (acceptance by the real KMS is in the integration tests).</summary>
public sealed class KmsDevCredentialTests
{
    private static readonly TokenRequestContext KmsScope = new(["api://kms/.default"]);

    [Fact]
    public void GetToken_SignsAnEs256JwtWithPrincipalRolesIssuerAndAudience()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var credential = new KmsDevCredential(key.ExportPkcs8PrivateKeyPem(), "alice", ["kms.admin", "kms.crypto"]);

        var token = credential.GetToken(KmsScope, CancellationToken.None).Token;

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonDocument.Parse(Decode(parts[0])).RootElement;
        var payload = JsonDocument.Parse(Decode(parts[1])).RootElement;
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("alice", payload.GetProperty("sub").GetString());
        Assert.Equal(["kms.admin", "kms.crypto"], payload.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("kms-dev-issuer", payload.GetProperty("iss").GetString());
        Assert.Equal("api://kms", payload.GetProperty("aud").GetString());
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Decode(parts[2]), HashAlgorithmName.SHA256));
    }

    [Fact]
    public void GetToken_BeforeAndAfterTheRefreshMargin_ReusesThenRenews()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        using var credential = new KmsDevCredential(key.ExportPkcs8PrivateKeyPem(), "alice", ["kms.crypto"], KmsDevCredential.DefaultIssuer,
            TimeSpan.FromMinutes(60), time);

        var first = credential.GetToken(KmsScope, CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(54));
        var second = credential.GetToken(KmsScope, CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(2));
        var third = credential.GetToken(KmsScope, CancellationToken.None);

        Assert.Equal(first.Token, second.Token);
        Assert.NotEqual(first.Token, third.Token);
        Assert.Equal(time.GetUtcNow().AddMinutes(60).ToUnixTimeSeconds(), third.ExpiresOn.ToUnixTimeSeconds());
    }

    [Fact]
    public void Constructor_NotAPem_ThrowsWithoutQuotingTheInput()
    {
        var failure = Assert.Throws<ArgumentException>(() => new KmsDevCredential("secret-looking-text", "alice", []));

        Assert.DoesNotContain("secret-looking-text", failure.Message, StringComparison.Ordinal);
    }

    private static byte[] Decode(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
    }
}

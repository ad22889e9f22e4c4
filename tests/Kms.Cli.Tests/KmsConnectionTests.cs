using System.Net;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Cli.Tests;

public sealed class KmsConnectionTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void ResolveEndpoint_NothingSet_LocalHost()
    {
        Assert.Equal(new Uri("http://127.0.0.1:7071/"), KmsConnection.ResolveEndpoint(Parse(), _cli.Context));
    }

    [Fact]
    public void ResolveEndpoint_OptionAndEnvironment_OptionWins()
    {
        _cli.Environment[KmsConnection.EndpointVariable] = "https://env.example";

        Assert.Equal(new Uri("https://env.example/"), KmsConnection.ResolveEndpoint(Parse(), _cli.Context));
        Assert.Equal(new Uri("https://opt.example/kms/"), KmsConnection.ResolveEndpoint(Parse("--endpoint", "https://opt.example/kms"), _cli.Context));
    }

    [Theory]
    [InlineData("127.0.0.1:7071")]
    [InlineData("ftp://host")]
    [InlineData("not a url")]
    public void ResolveEndpoint_NotHttpUrl_UsageError(string endpoint)
    {
        Assert.Throws<UsageException>(() => KmsConnection.ResolveEndpoint(Parse("--endpoint", endpoint), _cli.Context));
    }

    [Fact]
    public void ResolveToken_OptionThenEnvironment_UsedAsGiven()
    {
        _cli.Environment[KmsConnection.TokenVariable] = "env-token\n";

        Assert.Equal("env-token", KmsConnection.ResolveToken(Parse(), _cli.Context, KmsRoles.Admin));
        Assert.Equal("opt-token", KmsConnection.ResolveToken(Parse("--token", "opt-token"), _cli.Context, KmsRoles.Admin));
    }

    [Fact]
    public async Task ResolveToken_NoToken_MintsShortLivedTokenForCliPrincipalWithDefaultRole()
    {
        var keyFile = _cli.CreateKeyFile();
        _cli.Environment[DevTokens.KeyFileVariable] = keyFile;

        var token = KmsConnection.ResolveToken(Parse(), _cli.Context, KmsRoles.Admin);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = KmsAuthOptions.DefaultDevIssuer,
            ValidAudience = KmsAuthOptions.DefaultAudience,
            IssuerSigningKey = DevTokenIssuer.Load(keyFile).SigningKey,
            ValidateLifetime = false,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(KmsConnection.DefaultPrincipal, result.Claims["sub"]);
        Assert.Equal(KmsRoles.Admin, result.Claims["roles"].ToString());
        Assert.Equal(TestCli.Now.AddMinutes(5).UtcDateTime, ((JsonWebToken)result.SecurityToken).ValidTo);
    }

    [Fact]
    public void ResolveToken_NoTokenAndNoKeyFile_ErrorPointsAtUpScript()
    {
        _cli.Environment[DevTokens.KeyFileVariable] = Path.Combine(_cli.Directory, "missing.pem");

        var e = Assert.Throws<CliException>(() => KmsConnection.ResolveToken(Parse(), _cli.Context, KmsRoles.Admin));

        Assert.Contains("run infra/local/up.sh first", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostJsonAsync_EndpointWithPath_SendsBearerTokenToRouteUnderPath()
    {
        using var handler = new RecordingHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
        using var connection = KmsConnection.Create(Parse("--endpoint", "https://kms.example/prefix/", "--token", "t1"), _cli.Context with { Handler = handler }, KmsRoles.Admin);

        var response = await connection.PostJsonAsync("api/policy/simulate", """{"a":1}""");

        Assert.Equal(new KmsResponse(200, "{}"), response);
        Assert.Equal(new Uri("https://kms.example/prefix/api/policy/simulate"), handler.Request!.RequestUri);
        Assert.Equal("Bearer t1", handler.Request.Headers.Authorization!.ToString());
        Assert.Equal("""{"a":1}""", handler.Body);
        Assert.Equal(KmsConnection.Timeout, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task GetAsync_ConnectionRefused_CliErrorNamesEndpoint()
    {
        using var handler = new RecordingHandler(_ => throw new HttpRequestException("Connection refused"));
        using var connection = KmsConnection.Create(Parse("--token", "t"), _cli.Context with { Handler = handler }, KmsRoles.Admin);

        var e = await Assert.ThrowsAsync<CliException>(() => connection.GetAsync("api/audit"));

        Assert.Equal("cannot reach the KMS at http://127.0.0.1:7071/: Connection refused", e.Message);
    }

    [Fact]
    public void DescribeProblem_ProblemDetails_CodeAndDetail()
    {
        Assert.Equal("error 403 AccessDenied: not allowed", new KmsResponse(403, """{"status":403,"code":"AccessDenied","detail":"not allowed"}""").DescribeProblem());
    }

    [Theory]
    [InlineData("<html>bad gateway</html>")]
    [InlineData("")]
    [InlineData("""{"title":"no code"}""")]
    [InlineData("[1]")]
    public void DescribeProblem_NotProblemDetails_StatusOnly(string body)
    {
        Assert.Equal("error 502", new KmsResponse(502, body).DescribeProblem());
    }

    private static CliArguments Parse(params string[] args) => CliArguments.Parse(args, KmsConnection.Options);

    private sealed class RecordingHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            return respond(request);
        }
    }
}

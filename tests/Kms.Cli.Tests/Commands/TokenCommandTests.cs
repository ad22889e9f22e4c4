using Kms.Api.Security;
using Kms.Cli.Commands;
using Kms.Core.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Cli.Tests.Commands;

public sealed class TokenCommandTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Run_KeyFileAndRoles_TokenValidatesAgainstPublicKey()
    {
        var keyFile = _cli.CreateKeyFile();

        var code = TokenCommand.Run(["--principal", "alice", "--role", KmsRoles.Admin, "--role", KmsRoles.Crypto, "--minutes", "5", "--key-file", keyFile],
            _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("", _cli.Error.ToString());
        var result = await ValidateAsync(_cli.Out.ToString().Trim(), keyFile, KmsAuthOptions.DefaultDevIssuer, KmsAuthOptions.DefaultAudience);
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("alice", result.Claims["sub"]);
        Assert.Equal([KmsRoles.Admin, KmsRoles.Crypto], ((IEnumerable<object>)result.Claims["roles"]).Select(r => r.ToString()));
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal(TestCli.Now.UtcDateTime, token.ValidFrom);
        Assert.Equal(TestCli.Now.AddMinutes(5).UtcDateTime, token.ValidTo);
    }

    [Fact]
    public async Task Run_NoMinutes_LivesSixtyMinutes()
    {
        var keyFile = _cli.CreateKeyFile();

        TokenCommand.Run(["--principal", "alice", "--role", KmsRoles.Admin, "--key-file", keyFile], _cli.Context);

        var result = await ValidateAsync(_cli.Out.ToString().Trim(), keyFile, KmsAuthOptions.DefaultDevIssuer, KmsAuthOptions.DefaultAudience);
        Assert.Equal(TestCli.Now.AddMinutes(60).UtcDateTime, ((JsonWebToken)result.SecurityToken).ValidTo);
    }

    [Fact]
    public async Task Run_AudienceAndIssuerOptions_UsedInToken()
    {
        var keyFile = _cli.CreateKeyFile();

        TokenCommand.Run(["--principal", "alice", "--role", KmsRoles.Admin, "--key-file", keyFile, "--audience", "api://other", "--issuer", "iss-2"],
            _cli.Context);

        var result = await ValidateAsync(_cli.Out.ToString().Trim(), keyFile, "iss-2", "api://other");
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public async Task Run_SettingsFromEnvironment_UsedWhenNoOptions()
    {
        var keyFile = _cli.CreateKeyFile("from-env.pem");
        _cli.Environment[DevTokens.KeyFileVariable] = keyFile;
        _cli.Environment[DevTokens.AudienceVariable] = "api://env";
        _cli.Environment[DevTokens.IssuerVariable] = "env-issuer";

        var code = TokenCommand.Run(["--principal", "alice", "--role", KmsRoles.Admin], _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        var result = await ValidateAsync(_cli.Out.ToString().Trim(), keyFile, "env-issuer", "api://env");
        Assert.True(result.IsValid, result.Exception?.Message);
    }

    [Fact]
    public void Run_KeyFileOption_WinsOverEnvironment()
    {
        var keyFile = _cli.CreateKeyFile();
        _cli.Environment[DevTokens.KeyFileVariable] = Path.Combine(_cli.Directory, "missing.pem");

        Assert.Equal(ExitCodes.Success, TokenCommand.Run(["--principal", "alice", "--role", KmsRoles.Admin, "--key-file", keyFile], _cli.Context));
    }

    [Fact]
    public async Task Run_NoKeyFileSetting_UsesRepositoryDataFolder()
    {
        _cli.WriteFile(RepoPaths.SolutionFile, "");
        var keyFile = Path.Combine(_cli.Directory, ".data", "local", "dev-issuer.pem");
        DevTokenIssuer.EnsureKeyFile(keyFile);
        var nested = Directory.CreateDirectory(Path.Combine(_cli.Directory, "src", "Kms.Cli")).FullName;

        var code = TokenCommand.Run(["--principal", "alice", "--role", KmsRoles.Admin], _cli.Context with { CurrentDirectory = nested });

        Assert.Equal(ExitCodes.Success, code);
        Assert.True((await ValidateAsync(_cli.Out.ToString().Trim(), keyFile, KmsAuthOptions.DefaultDevIssuer, KmsAuthOptions.DefaultAudience)).IsValid);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1441")]
    [InlineData("-5")]
    [InlineData("ten")]
    [InlineData("1.5")]
    public void Run_MinutesOutOfRange_UsageError(string minutes)
    {
        var keyFile = _cli.CreateKeyFile();

        var e = Assert.Throws<UsageException>(() =>
            TokenCommand.Run(["--principal", "a", "--role", KmsRoles.Admin, "--minutes", minutes, "--key-file", keyFile], _cli.Context));

        Assert.Contains("1 to 1440", e.Message, StringComparison.Ordinal);
        Assert.Equal("", _cli.Out.ToString());
    }

    [Fact]
    public void Run_MissingKeyFile_ErrorNamesPathAndUpScript()
    {
        var missing = Path.Combine(_cli.Directory, "nope.pem");

        var e = Assert.Throws<CliException>(() => TokenCommand.Run(["--principal", "a", "--role", KmsRoles.Admin, "--key-file", missing], _cli.Context));

        Assert.Equal($"dev issuer key not found at {missing}: run infra/local/up.sh first (it creates it)", e.Message);
    }

    [Fact]
    public void Run_KeyFileNotPem_ClearError()
    {
        var notPem = _cli.WriteFile("not.pem", "hello");

        var e = Assert.Throws<CliException>(() => TokenCommand.Run(["--principal", "a", "--role", KmsRoles.Admin, "--key-file", notPem], _cli.Context));

        Assert.Contains("does not hold a PEM EC private key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MissingPrincipal_UsageError()
    {
        var e = Assert.Throws<UsageException>(() => TokenCommand.Run(["--role", KmsRoles.Admin], _cli.Context));

        Assert.Equal("'--principal' is required", e.Message);
    }

    [Fact]
    public void Run_UnknownOption_UsageError()
    {
        Assert.Throws<UsageException>(() => TokenCommand.Run(["--principle", "a"], _cli.Context));
    }

    [Fact]
    public void Run_UnknownRole_WarnsWithBuiltInRolesAndMints()
    {
        var keyFile = _cli.CreateKeyFile();

        var code = TokenCommand.Run(["--principal", "a", "--role", "kms.root", "--key-file", keyFile], _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        Assert.NotEmpty(_cli.Out.ToString().Trim());
        var warning = _cli.Error.ToString();
        Assert.Contains("kms.root", warning, StringComparison.Ordinal);
        Assert.All(KmsRoles.All, role => Assert.Contains(role, warning, StringComparison.Ordinal));
    }

    [Fact]
    public void Run_NoRoles_WarnsAndMints()
    {
        var keyFile = _cli.CreateKeyFile();

        var code = TokenCommand.Run(["--principal", "a", "--key-file", keyFile], _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("no roles", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, string keyFile, string issuer, string audience) =>
        await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKey = DevTokenIssuer.Load(keyFile).SigningKey,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ClockSkew = TimeSpan.Zero,
            LifetimeValidator = (notBefore, expires, _, _) => notBefore <= _cli.Time.GetUtcNow().UtcDateTime && _cli.Time.GetUtcNow().UtcDateTime < expires,
        });
}

using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Testing;

namespace Kms.Cli.Tests;

/// <summary>
/// Runs the CLI in process against the fixture's KMS, as a user would from a shell: KMS_ENDPOINT and KMS_TOKEN in
/// the environment, bytes on stdin, stdout captured both as text and as bytes, a temporary working folder.
/// </summary>
internal sealed class HostCli : IDisposable
{
    private readonly KmsHostFixture _host;
    private readonly HttpClientHandler _handler = new();
    private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("kms-cli-host-tests");

    public HostCli(KmsHostFixture host)
    {
        _host = host;
        Token = host.Token(KmsHostFixture.AdminPrincipal, KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator);
    }

    /// <summary>The KMS_TOKEN of every run unless one passes its own: admin, crypto and operator.</summary>
    public string Token { get; }

    public string Directory => _dir.FullName;

    /// <summary>Variables every run sees besides KMS_ENDPOINT and KMS_TOKEN (e.g. KMS_DRILL_STORAGE).</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = new(StringComparer.Ordinal);

    public string PathOf(string name) => Path.Combine(Directory, name);

    public async Task<CliRun> RunAsync(string[] args, byte[]? stdin = null, string? token = null, bool terminal = false, int terminalWidth = 0)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var standardOutput = new MemoryStream();
        using var standardInput = new MemoryStream(stdin ?? []);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [KmsConnection.EndpointVariable] = _host.BaseAddress.ToString(),
            [KmsConnection.TokenVariable] = token ?? Token,
        };
        foreach (var (name, value) in ExtraEnvironment)
        {
            environment[name] = value;
        }

        var context = new CliContext(TextReader.Null, output, error, TimeProvider.System, Directory, name => environment.GetValueOrDefault(name), _handler)
        {
            StandardInput = standardInput,
            StandardOutput = standardOutput,
            OutputIsTerminal = terminal,
            TerminalWidth = terminalWidth,
        };
        var code = await CliApp.RunAsync(args, context);
        return new CliRun(code, output.ToString(), error.ToString(), standardOutput.ToArray());
    }

    /// <summary>Runs a command that must succeed with --json and returns its parsed output.</summary>
    public async Task<JsonElement> JsonAsync(params string[] args)
    {
        var run = await RunAsync([.. args, "--json"]);
        Assert.True(run.Code == ExitCodes.Success, $"kms {string.Join(' ', args)} -> {run.Code}: {run.Error}");
        return run.Json();
    }

    public async Task<string> CreateKeyAsync(string spec) => (await JsonAsync("keys", "create", "--spec", spec)).GetProperty("keyId").GetString()!;

    public void Dispose()
    {
        _handler.Dispose();
        _dir.Delete(recursive: true);
    }
}

/// <summary>What a CLI run left: exit code, stdout as text, stderr, and stdout as bytes (binary output).</summary>
internal sealed record CliRun(int Code, string Output, string Error, byte[] Bytes)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Output);
        return document.RootElement.Clone();
    }

    public string[] Lines => Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}

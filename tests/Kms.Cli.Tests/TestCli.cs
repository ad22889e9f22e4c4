using Kms.Api.Security;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Cli.Tests;

/// <summary>
/// A CLI context for one test: a temporary working folder, captured stdout/stderr, a fake clock and an
/// environment of its own (never the process's, so tests do not depend on what the machine exports).
/// </summary>
internal sealed class TestCli : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("kms-cli-tests");

    public string Directory => _dir.FullName;

    public StringWriter Out { get; } = new();

    public StringWriter Error { get; } = new();

    public FakeTimeProvider Time { get; } = new(Now);

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public TextReader In { get; set; } = TextReader.Null;

    public CliContext Context => new(In, Out, Error, Time, Directory, name => Environment.GetValueOrDefault(name), NoNetwork.Instance);

    /// <summary>A fresh dev issuer key file in the test folder.</summary>
    public string CreateKeyFile(string name = "dev-issuer.pem")
    {
        var path = Path.Combine(Directory, name);
        DevTokenIssuer.EnsureKeyFile(path);
        return path;
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        _dir.Delete(recursive: true);
        Out.Dispose();
        Error.Dispose();
        In.Dispose();
    }

    /// <summary>These tests never reach a server; a request that gets this far is a test bug.</summary>
    private sealed class NoNetwork : HttpMessageHandler
    {
        public static readonly NoNetwork Instance = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"unexpected request to {request.RequestUri}");
    }
}

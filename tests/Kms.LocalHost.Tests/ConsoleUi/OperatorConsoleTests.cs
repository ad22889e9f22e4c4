using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kms.Core.Authorization;
using Kms.Testing;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace Kms.LocalHost.Tests.ConsoleUi;

/// <summary>
/// The operator console at /console, on the real local host (SoftHSM2, Azurite), driven in the real headless Chromium
/// that infra/local/test.sh installs (KMS_CHROMIUM). What is asserted is what an operator sees in the page.
/// </summary>
[Collection(Telemetry.TelemetryCollection.Name)]
public sealed partial class OperatorConsoleTests(KmsHostFixture host, ITestOutputHelper output) : IClassFixture<KmsHostFixture>
{
    private const string ConsolePrincipal = "console-operator";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Console_IsServedWithoutAToken_UnderAStrictContentSecurityPolicy()
    {
        using var anonymous = host.CreateClientWithToken(null);

        using var page = await anonymous.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(page.Headers.GetValues("X-Content-Type-Options")));
        // Every script is a file of the console; none is inline.
        var html = await page.Content.ReadAsStringAsync();
        Assert.All(ScriptTag().Matches(html), tag => Assert.Contains("src=\"/console/", tag.Value, StringComparison.Ordinal));

        foreach (var (asset, mediaType) in new[] { ("", "text/html"), ("console.js", "text/javascript"), ("console.css", "text/css") })
        {
            using var response = await anonymous.GetAsync($"/console/{asset}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }

        using var unknown = await anonymous.GetAsync("/console/secrets.json");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // The page is anonymous; the API it reads is not, and its answers are not cached.
        using var keys = await anonymous.GetAsync("/api/keys");
        Assert.Equal(HttpStatusCode.Unauthorized, keys.StatusCode);
        using var authorized = await host.Client.GetAsync("/api/keys");
        Assert.True(authorized.Headers.CacheControl?.NoStore, $"Cache-Control: {authorized.Headers.CacheControl}");
    }

    [Fact]
    public async Task Console_ShowsKeysVersionsOperationsAndSlis_AndApprovesARevocation()
    {
        // Arrange, through the API: a key with two versions, then an emergency revocation of version 1 that replaces
        // the primary (version 3) and waits for two approvals. The test's admin requested it, so the console's
        // operator may approve it.
        var keyId = await host.CreateKeyAsync("AES_256", alias: $"console-{Guid.NewGuid():N}");
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var revocation = await host.PostOkAsync($"/api/keys/{keyId}/revocations", new { versions = new[] { 1 }, reason = "console drill" });
        var operationId = revocation.GetProperty("operationId").GetString()!;
        await host.WaitForStepAsync(operationId, "awaiting-approvals");

        var token = host.Token(ConsolePrincipal, KmsRoles.Admin, KmsRoles.Approver);
        using var operatorClient = host.CreateClientWithToken(token);
        using var metrics = await operatorClient.GetAsync("/metrics");
        output.WriteLine($"GET /metrics answered {(int)metrics.StatusCode}");

        var errors = new ConcurrentQueue<string>();
        var profile = Directory.CreateTempSubdirectory("kms-console-chromium");
        var screenshot = Path.Combine(AppContext.BaseDirectory, "console-e2e.png");
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            UserDataDir = profile.FullName,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
            DefaultViewport = new ViewPortOptions { Width = 1400, Height = 1000 },
        });
        try
        {
            var page = await browser.NewPageAsync();
            page.Console += (_, e) =>
            {
                if (e.Message.Type == ConsoleType.Error)
                {
                    errors.Enqueue($"{e.Message.Text} ({e.Message.Location?.URL})");
                }
            };
            page.PageError += (_, e) => errors.Enqueue("uncaught: " + e.Message);
            try
            {
                // Act and assert: open the page, paste the token.
                var response = await page.GoToAsync(new Uri(host.BaseAddress, "/console").ToString());
                Assert.Equal(HttpStatusCode.OK, response.Status);
                Assert.Contains("script-src 'self'", response.Headers["content-security-policy"], StringComparison.Ordinal);
                await page.TypeAsync("#token", token);
                await page.ClickAsync("#token-save");
                await WaitAsync(page, "(who) => document.getElementById('token-status').textContent.includes(who)", ConsolePrincipal);
                // The token lives in the tab's session storage and nowhere in the address.
                Assert.Equal(token, await page.EvaluateExpressionAsync<string>("sessionStorage.getItem('kms.console.token')"));
                Assert.DoesNotContain(token, page.Url, StringComparison.Ordinal);

                // Keys, and the selected key's versions with their states and the primary marker.
                await WaitAsync(page, "(id) => !!document.querySelector(`#keys tr[data-key-id=\"${id}\"]`)", keyId);
                await page.ClickAsync($"#keys tr[data-key-id=\"{keyId}\"] button");
                await WaitAsync(page, "(id) => document.getElementById('versions-key').textContent === id && document.querySelectorAll('#versions tbody tr').length === 3", keyId);
                var versions = await EvaluateAsync<VersionRow[]>(page,
                    "() => [...document.querySelectorAll('#versions tbody tr')].map(r => ({ version: r.dataset.version, state: r.dataset.state, " +
                    "primary: r.dataset.primary === 'true', marker: r.cells[2].textContent }))");
                var byVersion = versions.ToDictionary(v => v.Version);
                Assert.Equal("REVOKED", byVersion["1"].State);
                Assert.Equal("ENABLED", byVersion["2"].State);
                Assert.Equal("3", Assert.Single(versions, v => v.Primary).Version);
                Assert.Contains("primary", byVersion["3"].Marker, StringComparison.Ordinal);

                // The revocation, with a progress bar on its step and the approvals it waits for.
                var operation = $"#operations li[data-operation-id=\"{operationId}\"]";
                await WaitAsync(page, "(sel) => !!document.querySelector(sel + ' progress') && !!document.querySelector(sel + ' .approvals')", operation);
                var bar = await EvaluateAsync<ProgressBar>(page,
                    "(sel) => { const p = document.querySelector(sel + ' progress'); return { value: p.value, max: p.max, " +
                    "label: document.querySelector(sel + ' .progress-label').textContent, determinate: p.hasAttribute('value') }; }", operation);
                Assert.True(bar.Determinate && bar.Value > 0 && bar.Value < bar.Max, $"progress {bar.Value}/{bar.Max}");
                Assert.Contains("awaiting-approvals", bar.Label, StringComparison.Ordinal);
                Assert.Equal("0", await page.EvaluateFunctionAsync<string>("(sel) => document.querySelector(sel + ' .approvals').dataset.received", operation));

                // Approve from the page: the API records the console's principal, and the page shows 1 of 2.
                await page.ClickAsync($"{operation} button[data-action=\"approve\"]");
                await WaitAsync(page, "() => document.getElementById('action-status').textContent.startsWith('Approve: sent')");
                var approved = await WaitForApprovalAsync(operationId);
                Assert.Equal(ConsolePrincipal, approved);
                await WaitAsync(page, "(sel) => document.querySelector(sel + ' .approvals')?.dataset.received === '1'", operation);
                var approvals = await page.EvaluateFunctionAsync<string>("(sel) => document.querySelector(sel + ' .approvals').textContent", operation);
                Assert.Contains("1/2", approvals, StringComparison.Ordinal);
                Assert.Contains(ConsolePrincipal, approvals, StringComparison.Ordinal);

                // The SLI section shows charts when the host serves /metrics, and says so (without numbers) when it does not.
                if (metrics.StatusCode == HttpStatusCode.OK)
                {
                    await WaitAsync(page, "() => document.getElementById('metrics-status').dataset.state === 'available' && " +
                        "!!document.querySelector('#charts [data-chart=\"request-rate\"] svg polyline')");
                    var charts = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#charts .chart')].map(c => c.dataset.chart)");
                    Assert.Contains("crypto-success", charts);
                    Assert.Contains("cache-hit", charts);
                    Assert.Contains("audit", charts);
                    Assert.Contains("events-pending", charts);
                }
                else
                {
                    await WaitAsync(page, "() => document.getElementById('metrics-status').textContent.includes('metrics unavailable')");
                    Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#charts .chart').length"));
                }

                Assert.Equal("", await page.EvaluateExpressionAsync<string>("document.getElementById('message').textContent"));
            }
            finally
            {
                await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true });
                output.WriteLine($"console screenshot: {screenshot}");
                System.Console.WriteLine($"console screenshot: {screenshot}");
            }
        }
        finally
        {
            await browser.CloseAsync();
            await browser.DisposeAsync();
            profile.Delete(recursive: true);
        }

        // Chromium reports an answer that is not 2xx as a console error; a /metrics the host does not serve is expected.
        var unexpected = errors.Where(e => !(metrics.StatusCode != HttpStatusCode.OK && e.Contains("/metrics", StringComparison.Ordinal)
            && e.Contains($"status of {(int)metrics.StatusCode}", StringComparison.Ordinal))).ToArray();
        Assert.True(unexpected.Length == 0, "console errors:\n" + string.Join("\n", unexpected));
    }

    /// <summary>The harness installs chromium and exports its path; without it this test fails rather than skips.</summary>
    private static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("KMS_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        Assert.True(File.Exists(path), $"Chromium not found at '{path}': run the tests with infra/local/test.sh, which installs it (KMS_CHROMIUM).");
        return path;
    }

    private static Task WaitAsync(IPage page, string predicate, params object[] args) =>
        page.WaitForFunctionAsync(predicate, new WaitForFunctionOptions { Timeout = (int)Wait.TotalMilliseconds, PollingInterval = 200 }, args);

    /// <summary>Runs a function in the page and reads its JSON-shaped result with the web defaults (camelCase).</summary>
    private static async Task<T> EvaluateAsync<T>(IPage page, string function, params object[] args)
    {
        var json = await page.EvaluateFunctionAsync<string>($"(...a) => JSON.stringify(({function})(...a))", args);
        return JsonSerializer.Deserialize<T>(json, JsonSerializerOptions.Web)!;
    }

    /// <summary>Polls the operation until one approval is recorded; returns who gave it.</summary>
    private async Task<string?> WaitForApprovalAsync(string operationId)
    {
        var deadline = DateTime.UtcNow + Wait;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            var received = last.GetProperty("approvals").GetProperty("received");
            if (received.GetArrayLength() > 0)
            {
                return received[0].GetProperty("principal").GetString();
            }

            await Task.Delay(200);
        }

        Assert.Fail($"No approval was recorded for {operationId}; last seen: {last}");
        return null;
    }

    [GeneratedRegex("<script[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    private sealed record VersionRow(string Version, string State, bool Primary, string Marker);

    private sealed record ProgressBar(double Value, double Max, string Label, bool Determinate);
}

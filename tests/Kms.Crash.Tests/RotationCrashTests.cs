using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace Kms.Crash.Tests;

/// <summary>A staged rotation outlives a kill -9 of the host that started it.</summary>
public sealed class RotationCrashTests(ITestOutputHelper output)
{
    // A resumed orchestration waits out the engine's visibility timeouts (up to a minute) first.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task RotationSurvivesKill9()
    {
        await using var host = await LocalHostProcess.StartAsync();
        string keyId;
        string operationId;
        using (var client = host.CreateClient())
        {
            keyId = await client.CreateKeyAsync("AES_256");
            using var response = await client.PostAsync($"/api/keys/{keyId}/rotations", null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            operationId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetString()!;
        }

        host.KillHard();
        var killedAt = Stopwatch.StartNew();
        await host.StartAgainAsync();
        var restartedAfter = killedAt.Elapsed;

        using var again = host.CreateClient();
        var first = await again.PollOperationAsync(operationId, _ => true, Patience, "answer after the restart", () => host.LogTail());
        var done = await again.PollOperationAsync(operationId, o => o.State() == "COMPLETED", Patience, "COMPLETED", () => host.LogTail());
        output.WriteLine($"restart took {restartedAfter.TotalSeconds:F1} s; first seen after it: state {first.State()}, step {first.Field("step")}");
        output.WriteLine($"COMPLETED {killedAt.Elapsed.TotalSeconds:F1} s after the kill ({(killedAt.Elapsed - restartedAfter).TotalSeconds:F1} s after the new host was healthy)");

        Assert.Equal(["version-created", "canary-passed", "promoted"], done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        var key = await again.GetOkAsync($"/api/keys/{keyId}");
        Assert.Equal(2, key.GetProperty("primaryVersion").GetInt32());
        // The create-version step may have run twice (killed before its result was stored): still one new version.
        var versions = await again.GetOkAsync($"/api/keys/{keyId}/versions");
        Assert.Equal([1, 2], versions.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).Order());
    }
}

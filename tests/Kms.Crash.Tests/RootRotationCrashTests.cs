using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Core.Authorization;
using Kms.Hsm.Pkcs11;
using Kms.Hsm.Pkcs11.Internal;
using Kms.Testing;
using Microsoft.Extensions.Configuration;
using Net.Pkcs11Interop.Common;
using Xunit.Abstractions;

namespace Kms.Crash.Tests;

/// <summary>
/// A root-key rotation outlives a kill -9 of the host in the middle of its rewrap sweep: started again, the operation
/// completes, every stored key version (and the audit signing key) is wrapped under the new root, everything encrypted
/// or signed before still opens and verifies, new keys work, the token names exactly one current root and holds only
/// it, and the audit chain verifies.
/// </summary>
/// <remarks>
/// The host gets a root family of its own on the shared token (a unique <c>Kms:Hsm:RootKeyLabel</c>, its key made by
/// the ceremony here), so retiring the old root destroys nothing another test or host uses.
/// </remarks>
public sealed class RootRotationCrashTests(ITestOutputHelper output)
{
    private const int AesKeys = 60;
    private const int RotationsPerKey = 5;
    private const int EcKeys = 5;
    private static readonly TimeSpan ToKill = TimeSpan.FromSeconds(120);
    // A resumed orchestration waits out the engine's visibility timeouts (up to a minute) first.
    private static readonly TimeSpan ToComplete = TimeSpan.FromSeconds(300);

    [Fact]
    public async Task RootRotationSurvivesKill9()
    {
        var options = LocalStack.Configuration.GetSection(Pkcs11HsmOptions.SectionName).Get<Pkcs11HsmOptions>()!;
        options.RootKeyLabel = LocalStack.UniqueName("kms-root-crash-");
        RootKeyCeremony.EnsureRootKey(options);
        var newRoot = $"{options.RootKeyLabel}.gen2";
        await using var host = await LocalHostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Kms__Hsm__RootKeyLabel"] = options.RootKeyLabel,
            ["Kms__RootRotationGracePeriod"] = "00:00:01",
            // Checkpoints soon, so the audit signing key (wrapped under the root too) exists and is signed with afterwards.
            ["Kms__Audit__CheckpointInterval"] = "00:00:01",
        });
        var keys = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetTableClient($"{host.TablePrefix}keys");

        // Many versions, each with a ciphertext made under it, so the sweep runs over several pages.
        var ciphertexts = new List<(string Ciphertext, string Plaintext, int Version)>();
        var signatures = new List<(string KeyId, string Signature)>();
        string operationId;
        JsonElement atKill;
        var seeding = Stopwatch.StartNew();
        using (var client = host.CreateClient())
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, AesKeys), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            {
                var keyId = await client.CreateKeyAsync("AES_256");
                for (var version = 1; ; version++)
                {
                    var plaintext = Convert.ToBase64String(BitConverter.GetBytes(i * 100 + version));
                    var encrypted = await client.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext });
                    Assert.Equal(version, encrypted.GetProperty("version").GetInt32());
                    lock (ciphertexts)
                    {
                        ciphertexts.Add((encrypted.GetProperty("ciphertext").GetString()!, plaintext, version));
                    }

                    if (version > RotationsPerKey)
                    {
                        break;
                    }

                    await client.PostOkAsync($"/api/keys/{keyId}/rotate", null);
                }
            });
            for (var i = 0; i < EcKeys; i++)
            {
                var keyId = await client.CreateKeyAsync("EC_P256");
                signatures.Add((keyId, (await client.PostOkAsync($"/api/keys/{keyId}/sign", new { message = "cm9vdA==", algorithm = "ECDSA_SHA_256" }))
                    .GetProperty("signature").GetString()!));
            }

            var versions = await VersionRootsAsync(keys);
            Assert.Equal(AesKeys * (RotationsPerKey + 1) + EcKeys, versions.Count);
            Assert.All(versions, v => Assert.Equal(options.RootKeyLabel, v.Root));
            output.WriteLine($"seeded {versions.Count} key versions in {seeding.Elapsed.TotalSeconds:F1} s");

            using var response = await client.PostAsync("/api/hsm/root-rotations", null);
            var started = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/hsm/root-rotations -> {(int)response.StatusCode}: {started}");
            operationId = started.GetProperty("operationId").GetString()!;

            // Kill in the middle of the rewrap sweep: once some versions are on the new root.
            atKill = await client.PollOperationAsync(operationId, o => o.State() == "COMPLETED" || Done(o) > 0, ToKill, "rewrap progress",
                () => host.LogTail());
        }

        host.KillHard();
        var killedAt = Stopwatch.StartNew();
        var onNewRootAtKill = (await VersionRootsAsync(keys)).Count(v => v.Root == newRoot);
        output.WriteLine($"killed at step {atKill.Field("step")}, done {Done(atKill)}, checkpoints {atKill.Field("checkpoints")}; "
            + $"{onNewRootAtKill} versions on the new root in storage");
        if (atKill.State() == "COMPLETED" || atKill.Field("step") != "rewrap")
        {
            output.WriteLine("note: the kill came after the rewrap sweep, so this run resumed a later step");
        }

        await host.StartAgainAsync();
        using var again = host.CreateClient();
        var done = await again.PollOperationAsync(operationId, o => o.State() == "COMPLETED", ToComplete, "COMPLETED", () => host.LogTail());
        output.WriteLine($"COMPLETED {killedAt.Elapsed.TotalSeconds:F1} s after the kill; progress {done.Field("progress")}");

        Assert.Equal(["root-created", "rewrapped", "switched", "verified", "old-root-retired"],
            done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        var after = await VersionRootsAsync(keys);
        Assert.Equal(AesKeys * (RotationsPerKey + 1) + EcKeys, after.Count);
        Assert.All(after, v => Assert.Equal(newRoot, v.Root));

        // Everything made before the rotation still opens and verifies.
        foreach (var chunk in ciphertexts.Chunk(CrashData.BatchSize))
        {
            var decrypted = await again.PostOkAsync("/api/decrypt", new { items = chunk.Select(c => new { ciphertext = c.Ciphertext }) });
            foreach (var (item, result) in chunk.Zip(decrypted.GetProperty("items").EnumerateArray()))
            {
                Assert.True(result.TryGetProperty("plaintext", out var plaintext) && plaintext.GetString() == item.Plaintext,
                    $"A ciphertext of version {item.Version} no longer opens: {result}");
            }
        }

        foreach (var (keyId, signature) in signatures)
        {
            var verified = await again.PostOkAsync($"/api/keys/{keyId}/verify", new { message = "cm9vdA==", algorithm = "ECDSA_SHA_256", signature });
            Assert.True(verified.GetProperty("valid").GetBoolean());
        }

        // New keys go to the new root and work.
        var fresh = await again.CreateKeyAsync("AES_256");
        var freshCiphertext = (await again.PostOkAsync($"/api/keys/{fresh}/encrypt", new { plaintext = "bmV3" })).GetProperty("ciphertext").GetString();
        Assert.Equal("bmV3", (await again.PostOkAsync("/api/decrypt", new { ciphertext = freshCiphertext })).GetProperty("plaintext").GetString());
        Assert.Equal(newRoot, Assert.Single(await VersionRootsAsync(keys, fresh)).Root);

        // The token: exactly one current-root pointer, naming the new root, and only the new root left in the family.
        Assert.Equal([newRoot], RootPointers(options).Select(p => p.Label));
        using (var hsm = new Pkcs11Hsm(options))
        {
            Assert.Equal([newRoot], hsm.ListRootKeys());
        }

        // The audit signing key moved too, and the chain (with checkpoints signed after the rotation) verifies.
        var audit = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetTableClient($"{host.TablePrefix}audit");
        var signingKey = await audit.GetEntityIfExistsAsync<TableEntity>("~signing-key", "1");
        if (signingKey.HasValue)
        {
            Assert.Equal(newRoot, signingKey.Value!.GetString("RootKeyLabel"));
        }

        for (var i = 0; i < 20; i++)
        {
            // Requests after the rotation, so a checkpoint is signed with the rewrapped signing key.
            (await again.GetAsync($"/api/keys/{fresh}")).Dispose();
            await Task.Delay(100);
        }

        using var auditor = host.CreateClient("crash-auditor", KmsRoles.Auditor);
        var verify = await auditor.PostOkAsync("/api/audit/verify", null);
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        output.WriteLine($"audit: {verify.GetProperty("records")} records in {verify.GetProperty("chains")} chains verify; signing key "
            + (signingKey.HasValue ? "on the new root" : "not made yet"));
    }

    private static long Done(JsonElement operation) =>
        operation.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Object
            && progress.TryGetProperty("done", out var done) && done.ValueKind == JsonValueKind.Number
            ? done.GetInt64()
            : 0;

    /// <summary>Every stored key version (rows "v…" of the keys table) with the root its material is wrapped under.</summary>
    private static async Task<List<(string KeyId, string RowKey, string? Root)>> VersionRootsAsync(TableClient keys, string? keyId = null)
    {
        var rows = new List<(string, string, string?)>();
        await foreach (var row in keys.QueryAsync<TableEntity>(keyId is null ? null : $"PartitionKey eq '{keyId}'"))
        {
            if (row.RowKey.StartsWith('v'))
            {
                rows.Add((row.PartitionKey, row.RowKey, row.GetString("RootKeyLabel")));
            }
        }

        return rows;
    }

    /// <summary>The current-root pointer objects of the family on the token, read in a logged-in session of this process.</summary>
    private static List<RootPointer> RootPointers(Pkcs11HsmOptions options)
    {
        var slot = TokenConnection.FindSlot(Pkcs11Runtime.GetLibrary(options.LibraryPath), options.TokenLabel)
            ?? throw new InvalidOperationException($"Token '{options.TokenLabel}' not found.");
        using var session = slot.OpenSession(SessionType.ReadOnly);
        TokenConnection.Login(session, options.UserPin);
        return [.. RootPointer.ReadAll(session, options.RootKeyLabel).Select(p => p.Pointer)];
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kms.Core.Authorization;

namespace Kms.Api.Tests;

/// <summary>
/// Runs a full scenario on a host logging at Trace while every ActivitySource (all data, all tags, events and baggage)
/// and every instrument is listened to, then looks for each secret it used in everything captured: random plaintexts,
/// the plaintext data keys (base64, hex, raw), encryption-context values and the signatures of the bearer tokens.
/// </summary>
public sealed class SecretsInTelemetryTests : IAsyncLifetime
{
    private readonly KmsHostFixture _host = new(new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:System"] = "Trace",
        ["Logging:LogLevel:Azure"] = "Trace",
        ["Logging:LogLevel:DurableTask.AzureStorage"] = "Trace",
        ["Logging:LogLevel:DurableTask.Core"] = "Trace",
    });

    private readonly ConcurrentQueue<string> _telemetry = new();
    private readonly List<string> _secrets = [];
    private ActivityListener? _activities;
    private MeterListener? _meters;

    public async Task InitializeAsync()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            SampleUsingParentId = (ref ActivityCreationOptions<string> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = a => _telemetry.Enqueue(Describe(a)),
            ActivityStopped = a => _telemetry.Enqueue(Describe(a)),
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener { InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument) };
        _meters.SetMeasurementEventCallback<byte>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<short>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<decimal>((i, v, tags, _) => Record(i, v, tags));
        _meters.Start();

        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        _activities?.Dispose();
        _meters?.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task FullScenario_LogsAtTraceAndAllTelemetry_HoldNoPlaintextDataKeyContextValueOrTokenSignature()
    {
        // Arrange: a token for a principal of our own, so its signature is a secret this test knows.
        var adminToken = _host.Token("secrets-admin", KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator);
        var deniedToken = _host.Token("secrets-nobody", KmsRoles.Auditor);
        Secret(adminToken.Split('.')[2]);
        Secret(deniedToken.Split('.')[2]);
        var admin = _host.CreateClientWithToken(adminToken);
        var denied = _host.CreateClientWithToken(deniedToken);

        // Act: keys, then every cryptographic operation with context, a rotation, and refusals.
        var aes = await CreateKeyAsync(admin, "AES_256", "secrets-" + Guid.NewGuid().ToString("N")[..8]);
        var other = await CreateKeyAsync(admin, "AES_256", null);
        var ec = await CreateKeyAsync(admin, "EC_P256", null);
        var hmac = await CreateKeyAsync(admin, "HMAC_SHA256", null);

        var plaintext = SecretBytes(48);
        var context = new Dictionary<string, string> { ["tenant"] = SecretText(), ["record"] = SecretText() };
        var ciphertext = (await PostOkAsync(admin, $"/api/keys/{aes}/encrypt", new { plaintext, context })).GetProperty("ciphertext").GetString()!;
        var decrypted = await PostOkAsync(admin, "/api/decrypt", new { ciphertext, context });
        Assert.Equal(plaintext, decrypted.GetProperty("plaintext").GetString());

        var batchPlaintexts = new[] { SecretBytes(20), SecretBytes(33) };
        var batchContext = new Dictionary<string, string> { ["batch"] = SecretText() };
        await PostOkAsync(admin, $"/api/keys/{aes}/encrypt", new { items = batchPlaintexts.Select(p => new { plaintext = p, context = batchContext }) });

        var dataKeyContext = new Dictionary<string, string> { ["object"] = SecretText() };
        var dataKey = await PostOkAsync(admin, $"/api/keys/{aes}/generate-data-key", new { keySpec = "AES_256", context = dataKeyContext });
        SecretKeyMaterial(Convert.FromBase64String(dataKey.GetProperty("plaintext").GetString()!));
        var wrapped = dataKey.GetProperty("ciphertext").GetString()!;
        var unwrapped = await PostOkAsync(admin, "/api/decrypt", new { ciphertext = wrapped, context = dataKeyContext });
        Assert.Equal(dataKey.GetProperty("plaintext").GetString(), unwrapped.GetProperty("plaintext").GetString());

        var destinationContext = new Dictionary<string, string> { ["moved"] = SecretText() };
        var reEncrypted = await PostOkAsync(admin, "/api/re-encrypt",
            new { ciphertext, sourceContext = context, destinationKeyId = other, destinationContext });

        var message = SecretBytes(64);
        var signature = (await PostOkAsync(admin, $"/api/keys/{ec}/sign", new { algorithm = "ECDSA_SHA_256", message })).GetProperty("signature").GetString()!;
        Assert.True((await PostOkAsync(admin, $"/api/keys/{ec}/verify", new { algorithm = "ECDSA_SHA_256", message, signature })).GetProperty("valid").GetBoolean());
        var macMessage = SecretBytes(40);
        var mac = (await PostOkAsync(admin, $"/api/keys/{hmac}/mac", new { message = macMessage })).GetProperty("mac").GetString()!;
        Assert.True((await PostOkAsync(admin, $"/api/keys/{hmac}/verify-mac", new { message = macMessage, mac })).GetProperty("valid").GetBoolean());

        var rotation = await PostOkAsync(admin, $"/api/keys/{aes}/rotations", new { });
        await _host.WaitForOperationAsync(rotation.GetProperty("operationId").GetString()!, "COMPLETED");
        var afterRotation = await PostOkAsync(admin, "/api/re-encrypt",
            new { ciphertext, sourceContext = context, destinationKeyId = aes, destinationContext = context });
        Assert.Equal(2, afterRotation.GetProperty("version").GetInt32());
        var movedBack = await PostOkAsync(admin, "/api/decrypt", new { ciphertext = reEncrypted.GetProperty("ciphertext").GetString(), context = destinationContext });
        Assert.Equal(plaintext, movedBack.GetProperty("plaintext").GetString());

        // Refusals: a tampered ciphertext, the wrong context (with secret values), a caller without the right role.
        var tampered = Convert.FromBase64String(ciphertext);
        tampered[^1] ^= 1;
        using (var bad = await admin.PostAsJsonAsync("/api/decrypt", new { ciphertext = Convert.ToBase64String(tampered), context }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        var wrongContext = new Dictionary<string, string> { ["tenant"] = SecretText() };
        using (var bad = await admin.PostAsJsonAsync("/api/decrypt", new { ciphertext, context = wrongContext }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using (var refused = await denied.PostAsJsonAsync("/api/decrypt", new { ciphertext, context }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var refused = await denied.PostAsJsonAsync($"/api/keys/{aes}/encrypt", new { plaintext = SecretBytes(24), context = new Dictionary<string, string> { ["x"] = SecretText() } }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Let the audit writer and the request observers finish what they log after the answers went out.
        await Task.Delay(1500);

        // Assert: the capture saw the run (key ids are not secret and are logged), and no secret is anywhere in it.
        var logs = _host.Logs.ToArray();
        var telemetry = _telemetry.ToArray();
        Assert.Contains(logs, l => l.Contains(aes, StringComparison.Ordinal));
        Assert.Contains(logs, l => l.StartsWith("Trace", StringComparison.Ordinal) || l.StartsWith("Debug", StringComparison.Ordinal));
        Assert.NotEmpty(telemetry);
        Assert.Contains(telemetry, t => t.StartsWith("metric", StringComparison.Ordinal));
        foreach (var secret in _secrets)
        {
            var inLogs = logs.FirstOrDefault(l => l.Contains(secret, StringComparison.Ordinal));
            Assert.True(inLogs is null, $"a secret ({secret[..Math.Min(6, secret.Length)]}...) is in a log line: {inLogs}");
            var inTelemetry = telemetry.FirstOrDefault(t => t.Contains(secret, StringComparison.Ordinal));
            Assert.True(inTelemetry is null, $"a secret ({secret[..Math.Min(6, secret.Length)]}...) is in telemetry: {inTelemetry}");
        }
    }

    private static async Task<string> CreateKeyAsync(HttpClient client, string keySpec, string? alias) =>
        (await PostOkAsync(client, "/api/keys", alias is null ? new { keySpec } : new { keySpec, alias })).GetProperty("keyId").GetString()!;

    private static async Task<JsonElement> PostOkAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"{path} -> {(int)response.StatusCode}: {json}");
        return json;
    }

    /// <summary>Random bytes as the API takes them (base64); the base64, hex and raw forms are all secrets.</summary>
    private string SecretBytes(int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        SecretKeyMaterial(bytes);
        return Convert.ToBase64String(bytes);
    }

    private void SecretKeyMaterial(byte[] bytes)
    {
        Secret(Convert.ToBase64String(bytes));
        Secret(Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        Secret(Convert.ToHexString(bytes));
        Secret(Convert.ToHexStringLower(bytes));
        Secret(Encoding.Latin1.GetString(bytes));
        // The raw UTF-8 reading of random bytes is mostly replacement characters; its longest clean run is what could leak.
        var longestRun = Encoding.UTF8.GetString(bytes).Split('\uFFFD').MaxBy(s => s.Length)!;
        if (longestRun.Length >= 6)
        {
            Secret(longestRun);
        }
    }

    /// <summary>A random context value: 128 bits as 32 hex characters, so finding it anywhere is no coincidence.</summary>
    private string SecretText()
    {
        var value = "ctx" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Secret(value);
        return value;
    }

    private void Secret(string value) => _secrets.Add(value);

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new StringBuilder($"metric {instrument.Meter.Name}/{instrument.Name}={value}");
        foreach (var tag in tags)
        {
            text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
        }

        _telemetry.Enqueue(text.ToString());
    }

    private static string Describe(Activity activity)
    {
        var text = new StringBuilder($"activity {activity.Source.Name}/{activity.OperationName} '{activity.DisplayName}' status={activity.Status} {activity.StatusDescription}");
        foreach (var tag in activity.TagObjects)
        {
            text.Append(" tag ").Append(tag.Key).Append('=').Append(tag.Value);
        }

        foreach (var item in activity.Baggage)
        {
            text.Append(" baggage ").Append(item.Key).Append('=').Append(item.Value);
        }

        foreach (var e in activity.Events)
        {
            text.Append(" event ").Append(e.Name);
            foreach (var tag in e.Tags)
            {
                text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
            }
        }

        foreach (var link in activity.Links)
        {
            foreach (var tag in link.Tags ?? [])
            {
                text.Append(" link ").Append(tag.Key).Append('=').Append(tag.Value);
            }
        }

        return text.ToString();
    }
}

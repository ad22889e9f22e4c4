using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Azure;
using Kms.Client.Envelope;
using Kms.Client.Telemetry;
using Kms.Client.Tests.Client;
using Kms.Client.Tests.Envelope;
using Kms.Client.Tests.Envelope.Fakes;
using Kms.Core.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Client.Tests.Telemetry;

/// <summary>
/// The SDK's metrics as an application's MeterListener (or OpenTelemetry) sees them. The meter is process-wide, so these
/// tests run alone (no other test records on it meanwhile) and assert on what they caused.
/// </summary>
[Collection(ClientTelemetryCollection.Name)]
public sealed class ClientTelemetryTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measurements = new();

    public ClientTelemetryTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KmsTelemetry.ClientName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void Names_EqualTheServerCatalog()
    {
        // The SDK copies these from Kms.Core.Telemetry (it does not reference the server's domain): the copies must not drift.
        Assert.Equal(KmsTelemetry.ClientName, ClientTelemetryNames.MeterName);
        Assert.Equal(KmsMetricNames.ClientRequestDuration, ClientTelemetryNames.RequestDuration);
        Assert.Equal(KmsMetricNames.ClientDataKeyCacheLookups, ClientTelemetryNames.DataKeyCacheLookups);
        Assert.Equal(KmsTagNames.Operation, ClientTelemetryNames.Operation);
        Assert.Equal(KmsTagNames.Result, ClientTelemetryNames.Result);
        Assert.Equal(KmsTagNames.Side, ClientTelemetryNames.Side);
        Assert.Equal(KmsRequestResults.Success, ClientTelemetryNames.Success);
        Assert.Equal(KmsRequestResults.Denied, ClientTelemetryNames.Denied);
        Assert.Equal(KmsRequestResults.Throttled, ClientTelemetryNames.Throttled);
        Assert.Equal(KmsRequestResults.ClientError, ClientTelemetryNames.ClientError);
        Assert.Equal(KmsRequestResults.ServerError, ClientTelemetryNames.ServerError);
        foreach (var status in new[] { 200, 204, 400, 401, 403, 404, 409, 429, 499, 500, 503 })
        {
            Assert.Equal(KmsRequestResults.FromStatus(status), ClientMetrics.Result(status, cancelled: false));
        }
    }

    [Fact]
    public async Task EnvelopeCache_SecondMessageAndSecondDecrypt_CountAHitOnEachSide()
    {
        var kms = new FakeKmsDataKeyProvider();
        using var manager = new CachingCryptoMaterialsManager(new KmsKeyring(kms, EnvelopeEncryptorRoundTripTests.KeyId),
            new DataKeyCacheOptions { MaxAge = TimeSpan.FromHours(1), MaxMessagesEncrypted = 100, MaxBytesEncrypted = long.MaxValue },
            new FakeTimeProvider());
        var encryptor = new EnvelopeEncryptor(manager);
        var context = new Dictionary<string, string> { ["tenant"] = "acme" };

        var first = await encryptor.EncryptAsync(new byte[] { 1 }, context);
        await encryptor.EncryptAsync(new byte[] { 2 }, context);
        await encryptor.DecryptAsync(first, context);
        await encryptor.DecryptAsync(first, context);

        Assert.Equal(1, Lookups("encrypt", "miss"));
        Assert.Equal(1, Lookups("encrypt", "hit"));
        Assert.Equal(1, Lookups("decrypt", "miss"));
        Assert.Equal(1, Lookups("decrypt", "hit"));
        Assert.Equal(1, kms.GenerateCalls);
    }

    [Fact]
    public async Task KmsClient_SuccessAndRefusal_AreTimedWithOperationAndResult()
    {
        var transport = new ScriptedTransport()
            .Then(() => ScriptedTransport.Json(HttpStatusCode.OK, """{"ciphertext":"AQID","keyId":"k","version":2}"""))
            .Then(() => ScriptedTransport.Problem(HttpStatusCode.Forbidden, "AccessDenied", "Not allowed."));
        var options = new KmsClientOptions { Transport = transport.Transport };
        options.Retry.MaxRetries = 0;
        var client = new KmsClient(new Uri("https://kms.example.test/"), new FixedTokenCredential(), options);

        await client.EncryptAsync("k", new byte[] { 1 });
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetKeyAsync("k"));

        var durations = _measurements.Where(m => m.Instrument == KmsMetricNames.ClientRequestDuration).ToList();
        Assert.Contains(durations, m => m.Tags[KmsTagNames.Operation] == "Encrypt" && m.Tags[KmsTagNames.Result] == KmsRequestResults.Success);
        Assert.Contains(durations, m => m.Tags[KmsTagNames.Operation] == "GetKey" && m.Tags[KmsTagNames.Result] == KmsRequestResults.Denied);
        Assert.All(durations, m => Assert.True(m.Value >= 0));
        // Tags name the operation and outcome only: never the key.
        Assert.All(durations, m => Assert.DoesNotContain(m.Tags.Values, v => v == "k"));
    }

    private long Lookups(string side, string result) =>
        (long)_measurements.Where(m => m.Instrument == KmsMetricNames.ClientDataKeyCacheLookups
            && m.Tags[KmsTagNames.Side] == side && m.Tags[KmsTagNames.Result] == result).Sum(m => m.Value);

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, string?>();
        foreach (var tag in tags)
        {
            map[tag.Key] = tag.Value?.ToString();
        }

        _measurements.Enqueue((instrument.Name, value, map));
    }
}

/// <summary>Runs the client telemetry tests with nothing else in parallel: the SDK's meter is one per process.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClientTelemetryCollection
{
    public const string Name = "Client telemetry";
}

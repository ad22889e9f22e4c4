using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Kms.Api.Security;
using Kms.Core.Authorization;

namespace Kms.Bench;

/// <summary>
/// The soak: mixed 1 KiB encrypt and decrypt at a fixed rate for many minutes against a running host, printing per
/// minute the operations, errors, p50/p99 latency and the host's resident memory, then whether latency and memory
/// stayed flat. With no rate given it first measures a 10 s peak at concurrency 16 and runs at half of it.
/// </summary>
internal static class SoakBench
{
    private const int Workers = 32;

    public static async Task<int> RunAsync(Uri baseUrl, int minutes, double rate, int hostPid)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var client = new HttpClient(handler) { BaseAddress = baseUrl };
        var issuer = DevTokenIssuer.Load(Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile")!);
        var token = issuer.Mint("soak", [KmsRoles.Admin, KmsRoles.Crypto], KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow,
            TimeSpan.FromMinutes(minutes + 30));
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var created = await client.PostAsJsonAsync("/api/keys", new { keySpec = "AES_256", description = "soak" });
        created.EnsureSuccessStatusCode();
        var keyId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keyId").GetString();
        var context = new Dictionary<string, string> { ["soak"] = "1" };
        var encrypt = JsonSerializer.SerializeToUtf8Bytes(new { plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1024)), context });
        var sample = await (await client.PostAsync($"/api/keys/{keyId}/encrypt", Json(encrypt))).Content.ReadFromJsonAsync<JsonElement>();
        var decrypt = JsonSerializer.SerializeToUtf8Bytes(new { ciphertext = sample.GetProperty("ciphertext").GetString(), context });
        var counter = 0L;

        async Task<bool> Once()
        {
            // Half encrypt, half decrypt.
            var isEncrypt = Interlocked.Increment(ref counter) % 2 == 0;
            using var response = await client.PostAsync(isEncrypt ? $"/api/keys/{keyId}/encrypt" : "/api/decrypt", Json(isEncrypt ? encrypt : decrypt));
            await response.Content.LoadIntoBufferAsync();
            return response.IsSuccessStatusCode;
        }

        if (rate <= 0)
        {
            var peak = await MeasurePeakAsync(Once);
            rate = Math.Max(1, Math.Floor(peak / 2));
            Console.WriteLine(FormattableString.Invariant($"peak (10 s, c=16, mixed encrypt/decrypt): {peak:F0} ops/s -> soak rate {rate:F0} ops/s"));
        }

        Console.WriteLine(FormattableString.Invariant($"soak: {minutes} min at {rate:F0} ops/s (mixed 1 KiB encrypt/decrypt), host pid {hostPid}"));
        Console.WriteLine("minute        ops   errors   p50 ms   p99 ms   host RSS MiB");
        var perMinute = Enumerable.Range(0, minutes).Select(_ => new MinuteStats()).ToArray();
        var interval = TimeSpan.FromSeconds(Workers / rate);
        var clock = Stopwatch.StartNew();
        var total = TimeSpan.FromMinutes(minutes);
        var reporter = Task.Run(async () =>
        {
            for (var m = 0; m < minutes; m++)
            {
                var due = TimeSpan.FromMinutes(m + 1) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }

                // Give the minute's last requests a moment to be recorded before summarising it.
                await Task.Delay(TimeSpan.FromSeconds(1));
                perMinute[m].RssMiB = HostMemory.RssMiB(hostPid);
                Console.WriteLine(perMinute[m].Line(m + 1));
            }
        });

        // Open loop: each worker starts its requests on a fixed schedule, so a slow answer does not slow the offered rate.
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var next = TimeSpan.FromTicks(interval.Ticks * w / Workers);
            while (next < total)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var minute = (int)(clock.Elapsed.TotalMinutes);
                if (minute >= minutes)
                {
                    break;
                }

                var start = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await Once();
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                perMinute[minute].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds, ok);
                next += interval;
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await reporter;

        var first = perMinute[0];
        var last = perMinute[^1];
        var errors = perMinute.Sum(m => m.Errors);
        // Flat: the last minute's p99 within 1.5x (+2 ms of noise) of the first's, RSS within 1.25x (+32 MiB), no error.
        var latencyFlat = last.P(0.99) <= (first.P(0.99) * 1.5) + 2;
        var memoryFlat = last.RssMiB <= (first.RssMiB * 1.25) + 32;
        Console.WriteLine(FormattableString.Invariant(
            $"verdict: p99 {first.P(0.99):F2} -> {last.P(0.99):F2} ms ({(latencyFlat ? "flat" : "GROWING")}), RSS {first.RssMiB:F0} -> {last.RssMiB:F0} MiB ({(memoryFlat ? "flat" : "GROWING")}), errors {errors}: {(latencyFlat && memoryFlat && errors == 0 ? "PASS" : "FAIL")}"));
        return latencyFlat && memoryFlat && errors == 0 ? 0 : 1;
    }

    private static async Task<double> MeasurePeakAsync(Func<Task<bool>> once)
    {
        var done = 0L;
        async Task Run(TimeSpan duration, bool count)
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                while (clock.Elapsed < duration)
                {
                    await once();
                    if (count)
                    {
                        Interlocked.Increment(ref done);
                    }
                }
            })));
        }

        await Run(TimeSpan.FromSeconds(2), count: false);
        var measured = Stopwatch.StartNew();
        await Run(TimeSpan.FromSeconds(10), count: true);
        return done / measured.Elapsed.TotalSeconds;
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private sealed class MinuteStats
    {
        private readonly List<double> _latencies = new(1 << 16);

        public int Errors { get; private set; }

        public double RssMiB { get; set; } = double.NaN;

        public void Add(double milliseconds, bool ok)
        {
            lock (_latencies)
            {
                _latencies.Add(milliseconds);
                if (!ok)
                {
                    Errors++;
                }
            }
        }

        public double P(double q)
        {
            lock (_latencies)
            {
                if (_latencies.Count == 0)
                {
                    return double.NaN;
                }

                var sorted = _latencies.Order().ToArray();
                return sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
            }
        }

        public string Line(int minute)
        {
            int count;
            lock (_latencies)
            {
                count = _latencies.Count;
            }

            return FormattableString.Invariant($"{minute,6} {count,10} {Errors,8} {P(0.50),8:F2} {P(0.99),8:F2} {RssMiB,14:F0}");
        }
    }
}

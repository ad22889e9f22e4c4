using Kms.Core.Telemetry;
using Kms.Hsm.Pkcs11;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kms.LocalHost;

/// <summary>
/// OpenTelemetry for the local host: the "Kms" meter (with the runtime's and ASP.NET Core's built-in meters) served in
/// the Prometheus text format at <see cref="MetricsPath"/>, and the "Kms" spans sent over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. docs/observability.md lists every name.
/// </summary>
internal static class KmsLocalHostTelemetry
{
    /// <summary>Outside /api, so it is served without a token and never passes through the KMS request executor.</summary>
    public const string MetricsPath = "/metrics";

    private const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static void AddKmsTelemetry(this WebApplicationBuilder builder)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName: "kms", serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics => metrics
                .AddMeter(KmsTelemetry.Name)
                // Built into .NET 9+ and ASP.NET Core: GC, thread pool, CPU, memory; HTTP server durations. No extra packages.
                .AddMeter("System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter());

        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]))
        {
            otel.WithTracing(tracing => tracing.AddSource(KmsTelemetry.Name).AddOtlpExporter());
        }
    }

    public static void MapKmsMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        // The HSM gauges read the connector, which DI otherwise creates on the first request that needs it: create it once
        // the host has started (its options are validated by then), so a scrape shows them from the start. It connects lazily.
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            app.Services.GetService<Pkcs11Hsm>();
            // Once the exporter listens: counters with known tag values exist (at zero) from the first scrape.
            app.Services.GetRequiredService<KmsMetrics>().InitializeKnownSeries();
        });
    }
}

using Azure.Monitor.OpenTelemetry.Exporter;
using Kms.Api;
using Kms.Core.Telemetry;
using Kms.Events.EventGrid;
using Kms.Functions;
using Kms.Hsm.Pkcs11;
using Kms.Storage.Tables;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = FunctionsApplication.CreateBuilder(args);
// ASP.NET Core integration: triggers take HttpRequest and the IResult they return is executed as in Kestrel.
builder.ConfigureFunctionsWebApplication();

var kms = builder.Configuration.GetSection("Kms");
builder.Services.AddKmsApi(kms);
builder.Services.AddPkcs11Hsm(kms.GetSection("Hsm"));
builder.Services.AddTableStorage(kms.GetSection("Storage"));
builder.Services.AddRewrapSources(kms.GetSection("Rewrap"));
// Outbox dispatcher as a hosted service of the worker. In Azure it runs while the app has an instance up; the
// Flex Consumption / Premium plans keep one warm (see docs/events.md).
builder.Services.AddEventGridPublishing(kms.GetSection("Events"));
builder.Services.AddHostedService<StorageStartup>();

// OpenTelemetry to Application Insights, only when the app has a connection string (docs/observability.md): the one
// "Kms" ActivitySource and Meter, with the Functions worker's invocation spans and resource attributes, so request spans
// nest under the host's invocation span and continue the caller's traceparent.
if (!string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    var otel = builder.Services.AddOpenTelemetry()
        .WithTracing(tracing => tracing.AddSource(KmsTelemetry.Name))
        .WithMetrics(metrics => metrics.AddMeter(KmsTelemetry.Name, "System.Runtime"));
    otel.UseFunctionsWorkerDefaults();
    otel.UseAzureMonitorExporter();
}

builder.Build().Run();

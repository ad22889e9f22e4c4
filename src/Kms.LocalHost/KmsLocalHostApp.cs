using Kms.Api;
using Kms.Api.Http;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Events.EventGrid;
using Kms.Hsm.Pkcs11;
using Kms.LocalHost.ConsoleUi;
using Kms.LocalHost.EventGrid;
using Kms.LocalHost.Workflows;
using Kms.Workflows;
using Kms.Storage.Tables;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.OpenApi;

namespace Kms.LocalHost;

/// <summary>Builds the local host: the same handlers and route table as the Functions app, on Kestrel.</summary>
public static class KmsLocalHostApp
{
    public const int DefaultPort = 7071;

    /// <param name="configure">Lets tests adjust the builder (port 0, their own settings) before it is built.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var port = int.TryParse(Environment.GetEnvironmentVariable("KMS_PORT"), out var p) ? p : DefaultPort;
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

        var kms = builder.Configuration.GetSection(KmsOptions.SectionName);
        builder.Services.AddKmsApi(kms);
        builder.Services.AddPkcs11Hsm(kms.GetSection("Hsm"));
        builder.Services.AddTableStorage(kms.GetSection("Storage"));
        builder.Services.AddRewrapSources(kms.GetSection("Rewrap"));
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "KMS API",
                Version = "v1",
                Description = "Key management and cryptographic operations backed by a PKCS#11 HSM. Errors are RFC 9457 ProblemDetails with a stable 'code'.",
            };
            // The document is the same wherever it is served (and equals docs/openapi.json): no host-specific server URL.
            document.Servers = [];
            return Task.CompletedTask;
        }));
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var limit = context.Configuration.GetSection(KmsOptions.SectionName).Get<KmsOptions>()?.MaxRequestBodyBytes ?? new KmsOptions().MaxRequestBodyBytes;
            // Kestrel stops a body a little above the API's own limit, so the API answers with its ProblemDetails.
            kestrel.Limits.MaxRequestBodySize = limit + 1024;
            kestrel.AddServerHeader = false;
        });
        builder.AddKmsTelemetry();
        configure?.Invoke(builder);
        // After configure, so tests can switch them on: each registers nothing unless its Enabled setting is true.
        builder.Services.AddEventGridPublishing(kms.GetSection("Events"));
        builder.Services.AddLocalEventGrid(kms);
        builder.Services.AddLocalWorkflowEngine(kms, KmsWorkflows.Register);
        if (kms.GetValue("Workflows:Enabled", true))
        {
            // Due rotations are started by a scan every Kms:Workflows:RotationScanInterval (the Functions app: a timer trigger).
            var interval = kms.GetValue("Workflows:RotationScanInterval", TimeSpan.FromMinutes(1));
            builder.Services.AddHostedService(sp => new KeySchedulerService(sp.GetRequiredService<Kms.Workflows.Operations.KeyScheduler>(),
                sp.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>(), interval,
                sp.GetRequiredService<ILogger<KeySchedulerService>>()));
        }

        var app = builder.Build();
        app.UseStatusCodePages(WriteRoutingProblemAsync);
        app.Use(NoStoreForApi);
        MapRoutes(app);
        app.MapOperatorConsole();
        app.MapKmsMetrics();
        app.MapLocalEventGrid();
        return app;
    }

    /// <summary>Creates the tables if needed, then serves until stopped.</summary>
    public static async Task RunAsync(WebApplication app)
    {
        await app.Services.GetRequiredService<TableStoreInitializer>().EnsureCreatedAsync(app.Lifetime.ApplicationStopping);
        await app.RunAsync();
    }

    private static void MapRoutes(WebApplication app)
    {
        var executor = app.Services.GetRequiredService<KmsRequestExecutor>();
        foreach (var route in KmsRoutes.All)
        {
            if (route.Name == KmsRoutes.OpenApiRouteName)
            {
                // Generated live here (the Functions app serves the copy in docs/openapi.json). The generator's
                // endpoint runs inside the executor, so it needs a token and is logged like every other route.
                app.MapOpenApi(route.Path).WithName(route.Name).WithTags(route.Tag).AddEndpointFilter((context, next) =>
                    ExecuteAsync(executor, route, context, next));
                continue;
            }

            // A Func (not a RequestDelegate) so minimal APIs execute the IResult the executor returns.
            Func<HttpContext, Task<IResult>> handler = http => executor.ExecuteAsync(http, route);
            var endpoint = app.MapMethods(route.Path, [route.Method], handler)
                .WithName(route.Name)
                .WithSummary(route.Summary)
                .WithTags(route.Tag)
                .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
            if (!route.AllowAnonymous)
            {
                endpoint.ProducesProblem(StatusCodes.Status400BadRequest)
                    .ProducesProblem(StatusCodes.Status401Unauthorized)
                    .ProducesProblem(StatusCodes.Status403Forbidden);
            }

            if (route.RateLimited)
            {
                endpoint.ProducesProblem(StatusCodes.Status429TooManyRequests);
            }

            if (route.Template.Contains('{', StringComparison.Ordinal) || route.RequestType is not null)
            {
                endpoint.ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
            }

            if (route.RequestType is not null)
            {
                endpoint.Accepts(route.RequestType, route.BodyOptional, "application/json")
                    .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
                    .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
            }

            if (route.ResponseType is not null)
            {
                endpoint.Produces(route.SuccessStatus, route.ResponseType, "application/json");
            }
            else
            {
                endpoint.Produces(route.SuccessStatus);
            }
        }
    }

    private static async ValueTask<object?> ExecuteAsync(KmsRequestExecutor executor, KmsRoute route, EndpointFilterInvocationContext context,
        EndpointFilterDelegate next)
    {
        object? generated = null;
        var result = await executor.ExecuteAsync(context.HttpContext, route with
        {
            Handle = async _ =>
            {
                generated = await next(context);
                return generated as IResult ?? Results.Empty;
            },
        });
        return result is KmsProblem ? result : generated;
    }

    /// <summary>API answers are never cached by a browser or proxy (the console polls them; some carry key material).</summary>
    private static Task NoStoreForApi(HttpContext http, Func<Task> next)
    {
        if (http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.OnStarting(() =>
            {
                http.Response.Headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
        }

        return next();
    }

    /// <summary>Unknown paths and wrong methods get ProblemDetails like every other error.</summary>
    private static Task WriteRoutingProblemAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var (code, detail) = http.Response.StatusCode switch
        {
            StatusCodes.Status405MethodNotAllowed => (KmsErrorCodes.MethodNotAllowed, $"{http.Request.Method} is not allowed on this route."),
            StatusCodes.Status404NotFound => (KmsErrorCodes.RouteNotFound, "No API route matches this path."),
            // Routing itself refuses bodies that are not JSON on routes that declare a JSON body.
            StatusCodes.Status415UnsupportedMediaType => (KmsErrorCodes.UnsupportedMediaType, KmsErrors.UnsupportedMediaType().Message),
            _ => (KmsErrorCodes.MalformedRequest, "The request could not be processed."),
        };
        var requestId = http.Response.Headers[KmsRequestContext.RequestIdHeader].FirstOrDefault() ?? Guid.NewGuid().ToString("N");
        http.Response.Headers[KmsRequestContext.RequestIdHeader] = requestId;
        return KmsProblem.Create(http.Response.StatusCode, code, detail, requestId).ExecuteAsync(http);
    }
}

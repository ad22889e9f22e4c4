using Kms.Api.Handlers;
using Kms.Api.Http;
using Kms.Api.Security;
using Kms.Core.Audit;
using Kms.Core.Authorization;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Core;
using Kms.Core.Services;
using Kms.Core.Telemetry;
using Kms.Workflows.Operations;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kms.Api;

public static class KmsApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers the application services and HTTP handlers. The hosts add the HSM (Kms.Hsm.Pkcs11) and the
    /// stores (Kms.Storage.Tables) themselves.
    /// </summary>
    public static IServiceCollection AddKmsApi(this IServiceCollection services, IConfiguration kmsSection)
    {
        services.AddOptions<KmsOptions>().Bind(kmsSection).Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();
        services.AddOptions<KmsAuthOptions>().Bind(kmsSection.GetSection("Auth")).Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        // The one "Kms" meter comes from IMeterFactory, so the host's OpenTelemetry (or a test's MeterListener) sees it.
        services.AddMetrics();
        services.TryAddSingleton<KmsMetrics>();
        services.AddSingleton<KeyCatalog>();
        services.AddOptions<KmsEventOptions>().Bind(kmsSection.GetSection("Events"));
        services.AddSingleton<ChangeEvents>();
        services.AddSingleton<KeyManager>();
        services.AddSingleton<CryptoService>();
        services.AddSingleton<AccessAdministration>();
        services.AddSingleton<IKeyVersionProbe, KeyVersionProbe>();
        services.AddSingleton<KeyRotationSteps>();
        services.AddSingleton<Rewrapper>();
        services.AddSingleton<KeyRevocationSteps>();
        services.AddSingleton<KeyDestructionSteps>();
        services.AddSingleton<Kms.Workflows.Rewrap.RewrapSteps>();
        services.AddSingleton<OperationsService>();
        services.AddSingleton<Kms.Workflows.Operations.KeyScheduler>();
        services.AddSingleton<OperationsHandler>();
        services.AddSingleton<RootKeyRotationSteps>();
        services.AddSingleton<Kms.Workflows.RootRotation.RootRotationService>();
        services.AddSingleton<RootRotationHandler>();
        services.AddSingleton<AccessControl>();
        services.AddSingleton<IAccessGuard, RequestAccessGuard>();
        services.AddSingleton<BearerTokenAuthenticator>();
        services.AddSingleton<PrincipalRateLimiter>();
        services.AddSingleton<AccessHandler>();
        services.AddSingleton<RequestBody>();
        services.AddSingleton<KmsRequestExecutor>();
        services.AddSingleton<IRequestObserver, RequestLogObserver>();
        services.AddOptions<AuditOptions>().Bind(kmsSection.GetSection("Audit"));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AuditSigner>();
        services.AddSingleton<AuditVerifier>();
        services.AddSingleton<IRequestObserver, AuditObserver>();
        services.AddSingleton<AuditHandler>();
        services.AddSingleton<HealthHandler>();
        services.AddSingleton<OpenApiHandler>();
        services.AddSingleton<KeysHandler>();
        services.AddSingleton<AliasesHandler>();
        services.AddSingleton<CryptoHandler>();
        return services;
    }

    /// <summary>Entry point for hosts that bind route values themselves (the Functions app).</summary>
    public static Task<IResult> InvokeKmsRouteAsync(this HttpContext http, string routeName, params (string Name, string Value)[] routeValues)
    {
        foreach (var (name, value) in routeValues)
        {
            http.Request.RouteValues[name] = value;
        }

        return http.RequestServices.GetRequiredService<KmsRequestExecutor>().ExecuteAsync(http, KmsRoutes.Named(routeName));
    }
}

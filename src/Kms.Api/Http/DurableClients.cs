using Kms.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Http;

/// <summary>
/// The Durable Task client of the current request: in Functions the [DurableClient] binding's (the trigger puts it in
/// <see cref="HttpContext.Items"/>), locally the one registered in DI by the local engine.
/// </summary>
public static class DurableClients
{
    public const string ItemKey = "Kms.DurableTaskClient";

    public static DurableTaskClient Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Items[ItemKey] as DurableTaskClient
            ?? http.RequestServices.GetService<DurableTaskClient>()
            ?? throw KmsErrors.WorkflowsUnavailable();
    }
}

using System.Globalization;
using Azure;
using Azure.Core;
using Kms.Client.Models;
using Kms.Client.Serialization;

namespace Kms.Client;

// Audit and health.
public partial class KmsClient
{
    /// <summary><c>GET /api/audit</c> (role <c>kms.auditor</c>), filtered, page by page.</summary>
    public virtual AsyncPageable<AuditRecord> GetAuditRecordsAsync(AuditQuery? query = null, CancellationToken cancellationToken = default) =>
        new KmsAsyncPageable<AuditRecord>(async (continuationToken, pageSize, ct) =>
        {
            using var message = CreateMessage(RequestMethod.Get, "audit", ("keyId", query?.KeyId), ("principal", query?.Principal),
                ("operation", query?.Operation), ("result", query?.Result), ("from", Instant(query?.From)), ("to", Instant(query?.To)),
                ("pageSize", PageSize(pageSize)), ("continuationToken", continuationToken));
            var page = await SendAsync(message, Json.AuditPage, async: true, ct).ConfigureAwait(false);
            return Page<AuditRecord>.FromValues(page.Value.Records, page.Value.ContinuationToken, page.GetRawResponse());
        }, cancellationToken);

    /// <summary><c>POST /api/audit/verify</c>: checks every audit chain and its signed checkpoints.</summary>
    public virtual async Task<Response<AuditVerification>> VerifyAuditAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, "audit/verify");
        return await SendAsync(message, Json.AuditVerification, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/health</c>. An unhealthy KMS answers 503 with the same document: it is returned, not thrown,
    /// and not retried (the answer is the information).</summary>
    public virtual async Task<Response<KmsHealth>> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, "health");
        message.ResponseClassifier = HealthClassifier.Instance;
        return await SendAsync(message, Json.KmsHealth, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/openapi.json</c>: the API's OpenAPI document, as the KMS serves it.</summary>
    public virtual async Task<Response<BinaryData>> GetOpenApiDocumentAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, "openapi.json");
        var response = await SendAsync(message, async: true, cancellationToken).ConfigureAwait(false);
        return Response.FromValue(response.Content, response);
    }

    private static string? Instant(DateTimeOffset? instant) => instant?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private sealed class HealthClassifier : ResponseClassifier
    {
        public static readonly HealthClassifier Instance = new();

        public override bool IsErrorResponse(HttpMessage message) => message.Response.Status is not (200 or 503);

        public override bool IsRetriableResponse(HttpMessage message) => message.Response.Status != 503 && base.IsRetriableResponse(message);
    }
}

using System.Globalization;
using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core;
using Kms.Core.Audit;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kms.Api.Handlers;

/// <summary>Reading and verifying the audit log (kms.auditor).</summary>
public sealed class AuditHandler
{
    private static readonly string[] Results = ["success", "denied", "failure"];
    private readonly IAuditStore _store;
    private readonly AuditVerifier _verifier;
    private readonly IAccessGuard _access;
    private readonly KmsOptions _options;

    public AuditHandler(IAuditStore store, AuditVerifier verifier, IAccessGuard access, IOptions<KmsOptions> options)
    {
        _store = store;
        _verifier = verifier;
        _access = access;
        _options = options.Value;
    }

    public async Task<IResult> QueryAsync(HttpContext http, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.ReadAudit, null, null, cancellationToken);
        var q = http.Request.Query;
        var result = q["result"].FirstOrDefault();
        if (result is not null && !Results.Contains(result))
        {
            throw KmsErrors.Validation("'result' must be success, denied or failure.");
        }

        var pageSize = http.PageSizeQuery(_options);
        var query = new AuditQuery(q["keyId"].FirstOrDefault(), q["principal"].FirstOrDefault(), q["operation"].FirstOrDefault(), result,
            Instant(q["from"].FirstOrDefault(), "from"), Instant(q["to"].FirstOrDefault(), "to"));
        var page = await _store.QueryAsync(query, pageSize, q["continuationToken"].FirstOrDefault(), cancellationToken);
        return Microsoft.AspNetCore.Http.Results.Json(new AuditListResponse(page.Items.Select(ToResponse).ToArray(), page.ContinuationToken), KmsJson.Options);
    }

    public async Task<IResult> VerifyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.ReadAudit, null, null, cancellationToken);
        var verification = await _verifier.VerifyAsync(cancellationToken);
        return Microsoft.AspNetCore.Http.Results.Json(new AuditVerifyResponse(verification.Valid, verification.Chains, verification.Records,
            verification.Breaks.Select(b => new AuditBreakResponse(b.ChainId, b.Sequence, b.Problem)).ToArray()), KmsJson.Options);
    }

    private static DateTimeOffset? Instant(string? value, string name) =>
        value is null ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) ? instant
        : throw KmsErrors.Validation($"'{name}' must be an ISO-8601 instant.");

    private static AuditRecordResponse ToResponse(AuditRecord record)
    {
        var e = record.Entry;
        return new AuditRecordResponse(record.ChainId, record.Sequence, e.Time, e.Principal, e.Roles, e.Operation, e.KeyId, e.KeyVersion, e.Status,
            e.ErrorCode, e.Reason, e.RequestId, e.CallerAddress, e.ContextKeys, record.Hash);
    }
}

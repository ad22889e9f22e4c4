using Azure.Core;
using Azure.Core.Pipeline;

namespace Kms.Client.Pipeline;

/// <summary>
/// Sends Azure.Core's client request id as the KMS's <c>x-request-id</c>, so the KMS's logs and audit records carry the
/// same id as the client's diagnostics (and its retries share it). The id is a GUID, within the KMS's accepted format.
/// </summary>
internal sealed class RequestIdPolicy : HttpPipelineSynchronousPolicy
{
    public const string HeaderName = "x-request-id";

    public override void OnSendingRequest(HttpMessage message) =>
        message.Request.Headers.SetValue(HeaderName, message.Request.ClientRequestId);
}

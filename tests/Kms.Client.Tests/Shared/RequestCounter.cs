using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Kms.Client.Tests.Shared;

/// <summary>
/// Records every HTTP request a KmsClient sends (added per retry, so each attempt on the wire counts), to show how many
/// KMS calls the envelope layer really made.
/// </summary>
internal sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentQueue<string> _requests = new();

    /// <summary>Requests to <c>POST …/keys/{id}/generate-data-key</c>.</summary>
    public int GenerateDataKey => Count("POST", "/generate-data-key");

    /// <summary>Requests to <c>POST /api/decrypt</c>.</summary>
    public int Decrypt => Count("POST", "/api/decrypt");

    /// <summary>Requests to <c>GET /api/keys/{id}/versions</c>.</summary>
    public int ListVersions => Count("GET", "/versions");

    public override void OnSendingRequest(HttpMessage message) =>
        _requests.Enqueue($"{message.Request.Method} {message.Request.Uri.Path}");

    /// <summary>A client for <paramref name="endpoint"/> whose requests this counter sees.</summary>
    public KmsClient CreateClient(Uri endpoint, TokenCredential credential)
    {
        var options = new KmsClientOptions();
        options.AddPolicy(this, HttpPipelinePosition.PerRetry);
        return new KmsClient(endpoint, credential, options);
    }

    private int Count(string method, string pathSuffix) =>
        _requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal) && r.EndsWith(pathSuffix, StringComparison.Ordinal));
}

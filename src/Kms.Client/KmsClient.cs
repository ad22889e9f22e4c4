using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Kms.Client.Pipeline;
using Kms.Client.Serialization;
using Kms.Client.Telemetry;

namespace Kms.Client;

/// <summary>
/// The KMS's HTTP API (docs/api.md) in the Azure SDK shape: every route is a virtual async method returning
/// <see cref="Response{T}"/> (or <see cref="Response"/> when there is no body), paged routes return
/// <see cref="AsyncPageable{T}"/>, and a refusal throws <see cref="RequestFailedException"/> whose
/// <see cref="RequestFailedException.ErrorCode"/> is the KMS's stable error <c>code</c> and
/// <see cref="RequestFailedException.Status"/> the HTTP status. Thread-safe; create one per KMS endpoint and reuse it
/// (it holds the token cache and the circuit breaker's state).
/// </summary>
public partial class KmsClient : IKmsDataKeyProvider
{
    /// <summary>The <see cref="RequestFailedException.ErrorCode"/> of a call refused by the open circuit breaker
    /// (with <see cref="RequestFailedException.Status"/> 0: no response was received, as for a transport failure).</summary>
    public const string CircuitOpenErrorCode = "KmsCircuitOpen";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly Uri _apiBase;

    /// <summary>For mocking.</summary>
    protected KmsClient()
    {
        _pipeline = null!;
        _endpoint = null!;
        _apiBase = null!;
    }

    /// <param name="endpoint">The KMS's base address, e.g. <c>https://kms.example.com</c> (routes are under <c>/api</c>).
    /// Plain http is accepted only for a loopback address (a KMS on this machine).</param>
    /// <param name="credential">Any <see cref="TokenCredential"/>: DefaultAzureCredential with Entra ID, or
    /// <see cref="KmsDevCredential"/> for a local KMS.</param>
    public KmsClient(Uri endpoint, TokenCredential credential, KmsClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(credential);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The KMS endpoint must be an absolute URI.", nameof(endpoint));
        }

        if (endpoint.Scheme != Uri.UriSchemeHttps && !(endpoint.Scheme == Uri.UriSchemeHttp && LoopbackHttp.IsLoopback(endpoint)))
        {
            throw new ArgumentException("The KMS endpoint must use https (plain http only to a loopback address): bearer tokens must not travel in clear.",
                nameof(endpoint));
        }

        options ??= new KmsClientOptions();
        _endpoint = endpoint;
        _apiBase = new Uri(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/api/");
        var pipelineOptions = new HttpPipelineOptions(options) { RequestFailedDetailsParser = new KmsProblemDetailsParser() };
        if (options.CircuitBreaker.Enabled)
        {
            // Per call, i.e. before the retry policy: it counts calls that failed after their retries, and an open circuit
            // refuses a call before any retry, token request or connection.
            CircuitBreaker = new KmsCircuitBreakerPolicy(options.CircuitBreaker);
            pipelineOptions.PerCallPolicies.Add(CircuitBreaker);
        }

        pipelineOptions.PerRetryPolicies.Add(new RequestIdPolicy());
        pipelineOptions.PerRetryPolicies.Add(new LoopbackHttp.Enter());
        pipelineOptions.PerRetryPolicies.Add(new BearerTokenAuthenticationPolicy(credential, options.EffectiveScope));
        pipelineOptions.PerRetryPolicies.Add(new LoopbackHttp.Exit());
        _pipeline = HttpPipelineBuilder.Build(pipelineOptions);
    }

    /// <summary>The KMS's base address.</summary>
    public virtual Uri Endpoint => _endpoint;

    internal KmsCircuitBreakerPolicy? CircuitBreaker { get; }

    /// <summary>The KMS key <paramref name="keyId"/> as an Azure.Core key-encryption key (e.g. for Blob client-side
    /// encryption, key-wrap algorithm <see cref="Cryptography.KmsKeyEncryptionKey.Algorithm"/>).</summary>
    public virtual Cryptography.KmsKeyEncryptionKey GetKeyEncryptionKey(string keyId, IReadOnlyDictionary<string, string>? context = null) =>
        new(this, keyId, context);

    /// <summary>A resolver of key ids stored with wrapped keys to KMS key-encryption keys.</summary>
    public virtual Cryptography.KmsKeyEncryptionKeyResolver GetKeyEncryptionKeyResolver(IReadOnlyDictionary<string, string>? context = null) =>
        new(this, context);

    private HttpMessage CreateMessage(RequestMethod method, string path, params (string Name, string? Value)[] query)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        var uri = new RequestUriBuilder();
        // The endpoint may have a base path (a KMS behind a gateway): routes go under {endpoint}/api/.
        uri.Reset(new Uri(_apiBase, path));
        foreach (var (name, value) in query)
        {
            if (value is not null)
            {
                uri.AppendQuery(name, value, escapeValue: true);
            }
        }

        request.Uri = uri;
        request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        return message;
    }

    private HttpMessage CreateMessage<TBody>(RequestMethod method, string path, TBody body, JsonTypeInfo<TBody> bodyType)
    {
        var message = CreateMessage(method, path);
        message.Request.Headers.Add(HttpHeader.Names.ContentType, "application/json");
        message.Request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body, bodyType));
        return message;
    }

    private async ValueTask<Response> SendAsync(HttpMessage message, bool async, CancellationToken cancellationToken,
        [CallerMemberName] string operation = "")
    {
        // Timed around the whole pipeline, so the figure is what the application waited: retries and token requests included.
        var started = Stopwatch.GetTimestamp();
        int? status = null;
        try
        {
            if (async)
            {
                await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _pipeline.Send(message, cancellationToken);
            }

            status = message.Response.Status;
        }
        finally
        {
            ClientMetrics.RequestCompleted(ClientMetrics.OperationName(operation), status, cancellationToken.IsCancellationRequested,
                Stopwatch.GetElapsedTime(started));
        }

        if (message.Response.IsError)
        {
            // The pipeline's KmsProblemDetailsParser fills ErrorCode and the message from the problem document.
            throw new RequestFailedException(message.Response);
        }

        return message.Response;
    }

    private async ValueTask<Response<T>> SendAsync<T>(HttpMessage message, JsonTypeInfo<T> answerType, bool async, CancellationToken cancellationToken,
        [CallerMemberName] string operation = "")
    {
        var response = await SendAsync(message, async, cancellationToken, operation).ConfigureAwait(false);
        return Response.FromValue(Read(response, answerType), response);
    }

    private static T Read<T>(Response response, JsonTypeInfo<T> answerType)
    {
        try
        {
            return JsonSerializer.Deserialize(response.Content.ToMemory().Span, answerType)
                   ?? throw new RequestFailedException(response.Status, "The KMS answered without a body.");
        }
        catch (JsonException e)
        {
            // The JSON exception's message may quote the body (e.g. a plaintext): keep only its position.
            throw new RequestFailedException(response.Status, $"The KMS's answer could not be read (at {e.Path ?? "$"}).");
        }
    }

    private static string Segment(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return Uri.EscapeDataString(value);
    }

    private static KmsJsonContext Json => KmsJsonContext.Default;
}

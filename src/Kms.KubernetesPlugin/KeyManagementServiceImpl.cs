using Grpc.Core;
using Kms.Client;
using Kms.KubernetesPlugin.V2;
using Microsoft.Extensions.Options;

namespace Kms.KubernetesPlugin;

/// <summary>
/// <c>v2.KeyManagementService</c>: the API server hands over DEK seeds to wrap and unwrap with the KMS key. Logs
/// name the request uid, key and outcome, never a plaintext.
/// </summary>
internal sealed class KeyManagementServiceImpl(
    KmsClient kms, KmsHealthProbe health, IOptions<KubernetesPluginOptions> options, ILogger<KeyManagementServiceImpl> logger)
    : KeyManagementService.KeyManagementServiceBase
{
    public const string ApiVersion = "v2";

    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var current = await health.CheckAsync(context.CancellationToken);
        return new StatusResponse { Version = ApiVersion, Healthz = current.Healthz, KeyId = current.KeyId };
    }

    public override async Task<EncryptResponse> Encrypt(EncryptRequest request, ServerCallContext context)
    {
        try
        {
            var result = (await kms.EncryptAsync(options.Value.KeyId, request.Plaintext.Memory, cancellationToken: context.CancellationToken)).Value;
            var response = new EncryptResponse
            {
                Ciphertext = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(result.Ciphertext),
                KeyId = PluginKeyId.Format(result.KeyId, result.Version),
            };
            KmsAnnotations.Add(response.Annotations, result.KeyId, result.Version);
            return response;
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            throw Fail(e, "encrypt", request.Uid);
        }
    }

    public override async Task<DecryptResponse> Decrypt(DecryptRequest request, ServerCallContext context)
    {
        try
        {
            // The KMS ciphertext names its key and version; key_id and annotations are not needed to decrypt.
            var result = (await kms.DecryptAsync(request.Ciphertext.Memory, cancellationToken: context.CancellationToken)).Value;
            return new DecryptResponse { Plaintext = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(result.Plaintext) };
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            throw Fail(e, "decrypt", request.Uid);
        }
    }

    private RpcException Fail(Exception e, string operation, string uid)
    {
        var rpc = KmsErrorMapper.ToRpcException(e, operation);
        // The mapped detail only, not the exception: an exception's message may quote the request.
        logger.LogWarning("Kubernetes KMS {Operation} (uid {Uid}, key {KeyId}) failed: {StatusCode} {Detail}",
            operation, uid, options.Value.KeyId, rpc.StatusCode, rpc.Status.Detail);
        return rpc;
    }
}

using Azure;

namespace Kms.Client.AspNetCore;

/// <summary>
/// <see cref="IKmsKeyStateSource"/> over <see cref="KmsClient"/>: <c>GET /api/keys/{id}</c> then
/// <c>GET /api/keys/{id}/versions</c>. <see cref="KmsEventsServiceCollectionExtensions.AddKmsRevocationPolling"/> uses it
/// when the app registers no other source; the principal of the client's credential needs <c>kms:DescribeKey</c> and
/// <c>kms:ListKeyVersions</c> on the watched keys.
/// </summary>
public sealed class KmsClientKeyStateSource : IKmsKeyStateSource
{
    private readonly KmsClient _client;

    public KmsClientKeyStateSource(KmsClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    public async Task<KmsKeyStatus?> GetKeyStatusAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        try
        {
            var key = (await _client.GetKeyAsync(keyId, cancellationToken).ConfigureAwait(false)).Value;
            var versions = (await _client.GetKeyVersionsAsync(keyId, cancellationToken).ConfigureAwait(false)).Value;
            return new KmsKeyStatus(key.KeyId, key.State, [.. versions.Versions.Select(v => new KmsVersionState(v.Version, v.State))]);
        }
        // Only "no such key" means gone (the key may also vanish between the two calls); 403 and the rest are failures
        // the poller retries, never a reason to call a key unusable.
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == KeyNotFoundErrorCode)
        {
            return null;
        }
    }

    private const string KeyNotFoundErrorCode = "KeyNotFound";
}

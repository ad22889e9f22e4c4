namespace Kms.Client.AspNetCore;

/// <summary>Settings of the KMS events webhook mapped by <c>MapKmsEvents</c>.</summary>
public sealed class KmsEventsOptions
{
    /// <summary>The query-string parameter that carries the shared secret: the subscription URL ends in <c>?secret=...</c>.</summary>
    public const string DefaultSecretQueryParameter = "secret";

    /// <summary>The header that carries the shared secret (an Event Grid delivery property).</summary>
    public const string DefaultSecretHeader = "X-Kms-Events-Secret";

    /// <summary>
    /// Secrets a delivery must carry (in <see cref="SecretQueryParameter"/> or <see cref="SecretHeader"/>); any one of them
    /// is accepted, so a secret can be rotated: add the new one, point the subscription at it, remove the old one. Empty: no
    /// check (only for a webhook nobody else can reach). At least 16 characters each.
    /// </summary>
    public IList<string> SharedSecrets { get; } = [];

    public string SecretQueryParameter { get; set; } = DefaultSecretQueryParameter;

    public string SecretHeader { get; set; } = DefaultSecretHeader;

    /// <summary>
    /// Origins allowed by the validation handshake (<c>WebHook-Request-Origin</c>), e.g. <c>eventgrid.azure.net</c>.
    /// Empty: any origin is echoed back; the shared secret is what keeps strangers out.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// Deliveries per minute the handshake grants (<c>WebHook-Allowed-Rate</c>); null grants any rate (<c>*</c>).
    /// </summary>
    public int? AllowedRate { get; set; }

    /// <summary>Largest body accepted; larger ones get 413. Event Grid sends at most 1 MB per delivery.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many recent event ids are remembered so <see cref="IKmsEventHandler"/>s see a redelivered event once; 0 turns
    /// this off. Evictions always run: dropping a cache twice is harmless.
    /// </summary>
    public int DeduplicationCapacity { get; set; } = 10_000;
}

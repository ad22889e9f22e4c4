namespace Kms.KubernetesPlugin;

/// <summary>Configuration section <c>KubernetesPlugin</c>.</summary>
public sealed class KubernetesPluginOptions
{
    public const string SectionName = "KubernetesPlugin";

    /// <summary>The unix socket the API server's EncryptionConfiguration names (<c>unix://…</c> there, a plain path here).</summary>
    public string SocketPath { get; set; } = "/var/run/kms-plugin/socket.sock";

    /// <summary>The KMS key (id or alias) that encrypts; decryption uses whatever key the ciphertext names.</summary>
    public string KeyId { get; set; } = "";

    /// <summary>The KMS base address (https, or http on loopback only, as <c>KmsClient</c> demands).</summary>
    public Uri? KmsEndpoint { get; set; }

    /// <summary>Scope audience of the Entra ID token when no dev credential is configured.</summary>
    public string Audience { get; set; } = Kms.Client.KmsClientOptions.DefaultAudience;

    /// <summary>How long a Status answer is reused: the API server polls Status, and each fresh answer costs the KMS an encrypt and a decrypt.</summary>
    public TimeSpan HealthCacheInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of one KMS call; kept low so a Status probe against a dead KMS answers well inside the API server's timeout.</summary>
    public int KmsMaxRetries { get; set; } = 1;

    /// <summary>Local development only: sign tokens with the KMS dev issuer key instead of Entra ID.</summary>
    public DevCredentialOptions? DevCredential { get; set; }
}

/// <summary>A <c>KmsDevCredential</c> from the dev issuer's key file (see docs/sdk.md); never for production.</summary>
public sealed class DevCredentialOptions
{
    public string KeyFile { get; set; } = "";

    public string Principal { get; set; } = "kubernetes-kms-plugin";

    public string[] Roles { get; set; } = ["kms.crypto"];
}

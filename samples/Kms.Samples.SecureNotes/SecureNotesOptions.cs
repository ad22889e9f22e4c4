namespace Kms.Samples.SecureNotes;

/// <summary>
/// Settings of the sample, section <c>SecureNotes</c> (environment variables <c>SecureNotes__...</c>, or
/// <c>--SecureNotes:...=</c> on the command line). The defaults fit <c>infra/local/up.sh</c> on this machine.
/// </summary>
public sealed class SecureNotesOptions
{
    public const string Section = "SecureNotes";

    /// <summary>The tenant whose notes this instance serves: the table partition and a pair of the encryption context.</summary>
    public string Tenant { get; set; } = "local";

    /// <summary>The application name in the encryption context (and the data key cache's partition).</summary>
    public string AppName { get; set; } = "secure-notes";

    /// <summary>The KMS key's alias; the key (AES_256) is created with this alias at start when missing.</summary>
    public string KeyAlias { get; set; } = "secure-notes";

    public KmsSettings Kms { get; set; } = new();

    public StorageSettings Storage { get; set; } = new();

    public CacheSettings Cache { get; set; } = new();

    public EventsSettings Events { get; set; } = new();

    public sealed class KmsSettings
    {
        /// <summary>The KMS's base address (routes are under /api).</summary>
        public Uri Endpoint { get; set; } = new("http://127.0.0.1:7071");

        /// <summary><c>Dev</c>: tokens signed with the local dev issuer key; <c>Azure</c>: DefaultAzureCredential (Entra ID).</summary>
        public string Credential { get; set; } = "Dev";

        /// <summary>
        /// The dev issuer's private key (PEM) that <c>infra/local/up.sh</c> creates. A relative path is looked up from the
        /// repository root (the folder holding KmsFunctions.sln above the working directory or the app), else the working directory.
        /// </summary>
        public string DevIssuerKeyFile { get; set; } = ".data/local/dev-issuer.pem";

        /// <summary>The principal the dev tokens name (<c>sub</c>).</summary>
        public string DevPrincipal { get; set; } = "secure-notes";

        /// <summary>Roles of the dev tokens, comma-separated: creating the key at start needs kms.admin, data keys need kms.crypto.</summary>
        public string DevRoles { get; set; } = "kms.admin,kms.crypto";

        /// <summary>The KMS's token audience (<c>Kms:Auth:Audience</c>); the scope asked of Entra ID is <c>{Audience}/.default</c>.</summary>
        public string Audience { get; set; } = "api://kms";

        /// <summary>With <c>Credential=Azure</c>: the client id of a user-assigned managed identity, if any.</summary>
        public string? ManagedIdentityClientId { get; set; }
    }

    public sealed class StorageSettings
    {
        /// <summary>Azure Tables connection string; the default is Azurite on its default ports (as up.sh starts it).</summary>
        public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";

        /// <summary>With <c>Kms:Credential=Azure</c> and no connection string: the table service endpoint (DefaultAzureCredential).</summary>
        public Uri? TableEndpoint { get; set; }

        public string Table { get; set; } = "securenotes";
    }

    public sealed class CacheSettings
    {
        /// <summary>How long a data key may be reused without the KMS. Bounds the use of a revoked key when no event arrives.</summary>
        public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>Messages one cached data key may encrypt.</summary>
        public long MaxMessages { get; set; } = 1000;

        /// <summary>Entries per side (encrypt, decrypt).</summary>
        public int Capacity { get; set; } = 1000;
    }

    public sealed class EventsSettings
    {
        /// <summary>The path of the KMS events webhook.</summary>
        public string Path { get; set; } = "/kms/events";

        /// <summary>
        /// The shared secret the subscription URL carries (<c>?secret=</c>), at least 16 characters. Without it no webhook is
        /// mapped and a revoked key's cached data keys are dropped only when <see cref="CacheSettings.MaxAge"/> passes.
        /// </summary>
        public string? Secret { get; set; }
    }
}

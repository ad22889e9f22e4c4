namespace Kms.Api.Security;

/// <summary>How callers authenticate (configuration section <c>Kms:Auth</c>).</summary>
public sealed class KmsAuthOptions
{
    public const string SectionName = "Kms:Auth";
    public const string DevMode = "Dev";
    public const string EntraIdMode = "EntraId";
    public const string DefaultDevIssuer = "kms-dev-issuer";
    public const string DefaultAudience = "api://kms";

    /// <summary><c>Dev</c> (local issuer whose key is a file) or <c>EntraId</c>. Required: there is no anonymous mode.</summary>
    public string? Mode { get; set; }

    /// <summary>Expected <c>aud</c> of tokens.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>Tolerance for clock differences when checking nbf and exp.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Claim that names the principal: <c>sub</c> for the dev issuer; <c>oid</c> is the usual choice for Entra ID.</summary>
    public string PrincipalClaim { get; set; } = "sub";

    /// <summary>Claim holding the roles (Entra ID app roles arrive in <c>roles</c>).</summary>
    public string RolesClaim { get; set; } = "roles";

    public DevIssuerOptions DevIssuer { get; set; } = new();

    public EntraIdOptions EntraId { get; set; } = new();

    /// <summary>Per-principal limits on the cryptographic routes.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    public void Validate()
    {
        if (Mode is not (DevMode or EntraIdMode))
        {
            throw new ArgumentException($"Kms:Auth:Mode must be '{DevMode}' or '{EntraIdMode}'.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Audience, "Kms:Auth:Audience");
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException("Kms:Auth:ClockSkew must be between 0 and 10 minutes.");
        }

        if (Mode == DevMode)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(DevIssuer.SigningKeyFile, "Kms:Auth:DevIssuer:SigningKeyFile");
            ArgumentException.ThrowIfNullOrWhiteSpace(DevIssuer.Issuer, "Kms:Auth:DevIssuer:Issuer");
        }
        else
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(EntraId.TenantId, "Kms:Auth:EntraId:TenantId");
        }

        if (RateLimit.PermitsPerSecond < 1 || RateLimit.Burst < 1)
        {
            throw new ArgumentException("Kms:Auth:RateLimit:PermitsPerSecond and Burst must be at least 1.");
        }
    }
}

public sealed class DevIssuerOptions
{
    public string Issuer { get; set; } = KmsAuthOptions.DefaultDevIssuer;

    /// <summary>PEM file with the issuer's EC P-256 private key (created by <c>Kms.LocalHost init-dev-issuer</c>).</summary>
    public string? SigningKeyFile { get; set; }
}

public sealed class EntraIdOptions
{
    public string Instance { get; set; } = "https://login.microsoftonline.com/";

    public string? TenantId { get; set; }

    /// <summary>Refuse OpenID metadata over plain http. Only tests against a local metadata endpoint turn this off.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The v2.0 authority: tokens' issuer and the OpenID metadata come from here.</summary>
    public string Authority => $"{Instance.TrimEnd('/')}/{TenantId}/v2.0";
}

public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second each principal may make to the cryptographic routes.</summary>
    public int PermitsPerSecond { get; set; } = 20_000;

    /// <summary>Bucket size: how far above the sustained rate a principal may burst.</summary>
    public int Burst { get; set; } = 40_000;
}

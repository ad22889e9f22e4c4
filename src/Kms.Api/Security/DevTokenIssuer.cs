using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Api.Security;

/// <summary>
/// The local development issuer: an EC P-256 key in a PEM file outside the repository. The hosts validate
/// tokens with its public half; the CLI and the tests mint tokens with it. Never used in Azure.
/// </summary>
public sealed class DevTokenIssuer
{
    private readonly ECDsaSecurityKey _key;

    private DevTokenIssuer(ECDsa key, string issuer)
    {
        _key = new ECDsaSecurityKey(key) { KeyId = KeyIdOf(key) };
        Issuer = issuer;
    }

    public string Issuer { get; }

    public SecurityKey SigningKey => _key;

    public static DevTokenIssuer Load(string keyFile, string issuer = KmsAuthOptions.DefaultDevIssuer)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyFile));
        return new DevTokenIssuer(key, issuer);
    }

    /// <summary>Creates the key file if it does not exist (owner-readable only); returns whether it created it.</summary>
    public static bool EnsureKeyFile(string keyFile)
    {
        if (File.Exists(keyFile))
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(keyFile))!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportPkcs8PrivateKeyPem();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Readable by its owner only: whoever reads it can mint tokens the local host accepts.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(keyFile, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
        return true;
    }

    /// <param name="notBefore">Defaults to <paramref name="now"/>; tests set it to produce not-yet-valid tokens.</param>
    public string Mint(string principal, IEnumerable<string> roles, string audience, DateTimeOffset now, TimeSpan lifetime,
        DateTimeOffset? notBefore = null, SecurityKey? signWith = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(principal);
        var claims = new List<Claim> { new("sub", principal), new("jti", Guid.NewGuid().ToString("N")) };
        claims.AddRange(roles.Select(r => new Claim("roles", r)));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = (notBefore ?? now).UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(signWith ?? _key, SecurityAlgorithms.EcdsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static string KeyIdOf(ECDsa key) =>
        Base64UrlEncoder.Encode(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 12).ToArray());
}

using Kms.Api.Contracts;
using Kms.Api.Handlers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api;

/// <summary>The route table of the KMS API: the single source both hosts map and the OpenAPI document describes.</summary>
public static class KmsRoutes
{
    public const string OpenApiRouteName = "GetOpenApiDocument";

    private const string Get = "GET", Post = "POST", Put = "PUT", Delete = "DELETE";
    private const string Keys = "Keys", Aliases = "Aliases", Crypto = "Cryptography", Service = "Service";

    public static IReadOnlyList<KmsRoute> All { get; } =
    [
        Route<HealthHandler>("GetHealth", Get, "health", (h, c, t) => h.GetAsync(c, t), null, typeof(HealthResponse), 200, "Health of the HSM and storage", Service),
        Route<OpenApiHandler>(OpenApiRouteName, Get, "openapi.json", (h, c, t) => h.GetAsync(c, t), null, null, 200, "This API's OpenAPI document", Service),

        Route<KeysHandler>("CreateKey", Post, "keys", (h, c, t) => h.CreateAsync(c, t), typeof(CreateKeyRequest), typeof(KeyResponse), 201, "Create a key", Keys),
        Route<KeysHandler>("ListKeys", Get, "keys", (h, c, t) => h.ListAsync(c, t), null, typeof(KeyListResponse), 200, "List keys (paged)", Keys),
        Route<KeysHandler>("GetKey", Get, "keys/{keyIdOrAlias}", (h, c, t) => h.GetAsync(c, t), null, typeof(KeyResponse), 200, "Describe a key", Keys),
        Route<KeysHandler>("EnableKey", Post, "keys/{keyId}/enable", (h, c, t) => h.EnableAsync(c, t), null, typeof(KeyResponse), 200, "Enable a key", Keys),
        Route<KeysHandler>("DisableKey", Post, "keys/{keyId}/disable", (h, c, t) => h.DisableAsync(c, t), null, typeof(KeyResponse), 200, "Disable a key", Keys),
        Route<KeysHandler>("RotateKey", Post, "keys/{keyId}/rotate", (h, c, t) => h.RotateAsync(c, t), null, typeof(RotateKeyResponse), 200, "Create a new primary version now", Keys),
        Route<KeysHandler>("ListKeyVersions", Get, "keys/{keyId}/versions", (h, c, t) => h.ListVersionsAsync(c, t), null, typeof(KeyVersionListResponse), 200, "List a key's versions", Keys),
        Route<KeysHandler>("EnableKeyVersion", Post, "keys/{keyId}/versions/{version}/enable", (h, c, t) => h.EnableVersionAsync(c, t), null, typeof(KeyVersionResponse), 200, "Enable a key version", Keys),
        Route<KeysHandler>("DisableKeyVersion", Post, "keys/{keyId}/versions/{version}/disable", (h, c, t) => h.DisableVersionAsync(c, t), null, typeof(KeyVersionResponse), 200, "Disable a key version", Keys),

        Route<AliasesHandler>("PutAlias", Put, "aliases/{alias}", (h, c, t) => h.PutAsync(c, t), typeof(PutAliasRequest), typeof(AliasResponse), 200, "Create or re-point an alias", Aliases),
        Route<AliasesHandler>("DeleteAlias", Delete, "aliases/{alias}", (h, c, t) => h.DeleteAsync(c, t), null, null, 204, "Delete an alias", Aliases),

        Route<CryptoHandler>("Encrypt", Post, "keys/{keyIdOrAlias}/encrypt", (h, c, t) => h.EncryptAsync(c, t), typeof(EncryptRequest), typeof(EncryptResponse), 200, "Encrypt up to 64 KiB (or a batch)", Crypto),
        Route<CryptoHandler>("Decrypt", Post, "decrypt", (h, c, t) => h.DecryptAsync(c, t), typeof(DecryptRequest), typeof(DecryptResponse), 200, "Decrypt (the key comes from the ciphertext)", Crypto),
        Route<CryptoHandler>("ReEncrypt", Post, "re-encrypt", (h, c, t) => h.ReEncryptAsync(c, t), typeof(ReEncryptRequest), typeof(ReEncryptResponse), 200, "Re-encrypt under another key or version without exposing plaintext", Crypto),
        Route<CryptoHandler>("GenerateDataKey", Post, "keys/{keyIdOrAlias}/generate-data-key", (h, c, t) => h.GenerateDataKeyAsync(c, t), typeof(GenerateDataKeyRequest), typeof(GenerateDataKeyResponse), 200, "Generate a data key", Crypto),
        Route<CryptoHandler>("Sign", Post, "keys/{keyIdOrAlias}/sign", (h, c, t) => h.SignAsync(c, t), typeof(SignRequest), typeof(SignResponse), 200, "Sign a message or digest", Crypto),
        Route<CryptoHandler>("Verify", Post, "keys/{keyIdOrAlias}/verify", (h, c, t) => h.VerifyAsync(c, t), typeof(VerifyRequest), typeof(VerifyResponse), 200, "Verify a signature", Crypto),
        Route<CryptoHandler>("GetPublicKey", Get, "keys/{keyIdOrAlias}/public-key", (h, c, t) => h.GetPublicKeyAsync(c, t), null, typeof(PublicKeyResponse), 200, "Public key (SPKI PEM, or JSON with Accept: application/json)", Crypto),
        Route<CryptoHandler>("GenerateMac", Post, "keys/{keyIdOrAlias}/mac", (h, c, t) => h.GenerateMacAsync(c, t), typeof(MacRequest), typeof(MacResponse), 200, "Compute an HMAC", Crypto),
        Route<CryptoHandler>("VerifyMac", Post, "keys/{keyIdOrAlias}/verify-mac", (h, c, t) => h.VerifyMacAsync(c, t), typeof(VerifyMacRequest), typeof(VerifyResponse), 200, "Verify an HMAC", Crypto),
        Route<CryptoHandler>("GenerateRandom", Post, "random", (h, c, t) => h.GenerateRandomAsync(c, t), typeof(RandomRequest), typeof(RandomResponse), 200, "Random bytes from the HSM", Crypto),
    ];

    public static KmsRoute Named(string name) =>
        All.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No route named '{name}'.", nameof(name));

    private static KmsRoute Route<THandler>(string name, string method, string template,
        Func<THandler, HttpContext, CancellationToken, Task<IResult>> invoke, Type? request, Type? response, int status, string summary, string tag)
        where THandler : notnull =>
        new(name, method, template, http => invoke(http.RequestServices.GetRequiredService<THandler>(), http, http.RequestAborted),
            request, response, status, summary, tag);
}

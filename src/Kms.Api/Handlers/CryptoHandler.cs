using System.Security.Cryptography;
using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core;
using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kms.Api.Handlers;

/// <summary>Cryptographic routes. Decodes and validates bodies, calls <see cref="CryptoService"/>, encodes results.</summary>
public sealed class CryptoHandler
{
    private readonly CryptoService _crypto;
    private readonly RequestBody _body;
    private readonly int _maxBatchItems;

    public CryptoHandler(CryptoService crypto, RequestBody body, IOptions<KmsOptions> options)
    {
        _crypto = crypto;
        _body = body;
        _maxBatchItems = options.Value.MaxBatchItems;
    }

    public async Task<IResult> EncryptAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<EncryptRequestWire>(http.Request, cancellationToken);
        try
        {
            return await EncryptAsync(http, request, cancellationToken);
        }
        finally
        {
            // Every plaintext was decoded with the body, including those of items that failed before their encryption.
            request.Plaintext?.Clear();
            request.Items?.ForEach(item => item?.Plaintext?.Clear());
        }
    }

    private async Task<IResult> EncryptAsync(HttpContext http, EncryptRequestWire request, CancellationToken cancellationToken)
    {
        var keyIdOrAlias = http.RouteValue("keyIdOrAlias");
        var audit = KmsRequestContext.Of(http);
        if (RequireBatch(request.Items, request.Plaintext is not null || request.Context is not null, "plaintext") is { } items)
        {
            var results = await RunBatchAsync(items, async item =>
            {
                var r = await EncryptOneAsync(keyIdOrAlias, item.Plaintext, EncryptionContext.From(item.Context), cancellationToken);
                return new EncryptItemResultWire(r.Ciphertext, r.KeyId, r.Version, null);
            }, e => new EncryptItemResultWire(null, null, null, e));
            audit.SetKey(results.FirstOrDefault(r => r.KeyId is not null)?.KeyId);
            return Results.Json(new EncryptResponseWire(Items: results), KmsJson.Options);
        }

        var context = EncryptionContext.From(request.Context);
        audit.SetContextKeys(context.Keys);
        var result = await EncryptOneAsync(keyIdOrAlias, request.Plaintext, context, cancellationToken);
        audit.SetKey(result.KeyId, result.Version);
        return Results.Json(new EncryptResponseWire(result.Ciphertext, result.KeyId, result.Version), KmsJson.Options);
    }

    public async Task<IResult> DecryptAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<DecryptRequestWire>(http.Request, cancellationToken);
        var audit = KmsRequestContext.Of(http);
        if (RequireBatch(request.Items, request.Ciphertext is not null || request.Context is not null, "ciphertext") is { } items)
        {
            var plaintexts = new List<byte[]>(items.Count);
            try
            {
                var results = await RunBatchAsync(items, async item =>
                {
                    var r = await DecryptOneAsync(item.Ciphertext, EncryptionContext.From(item.Context), cancellationToken);
                    plaintexts.Add(r.Plaintext);
                    return new DecryptItemResultWire(r.Plaintext, r.KeyId, r.Version, null);
                }, e => new DecryptItemResultWire(null, null, null, e));
                audit.SetKey(results.FirstOrDefault(r => r.KeyId is not null)?.KeyId);
                return ZeroingJsonResult<DecryptResponseWire>.Create(http, new DecryptResponseWire(Items: results), plaintexts);
            }
            catch
            {
                // A dependency outage fails the whole batch: the items decrypted before it are never written.
                plaintexts.ForEach(p => CryptographicOperations.ZeroMemory(p));
                throw;
            }
        }

        var context = EncryptionContext.From(request.Context);
        audit.SetContextKeys(context.Keys);
        var result = await DecryptOneAsync(request.Ciphertext, context, cancellationToken);
        audit.SetKey(result.KeyId, result.Version);
        return ZeroingJsonResult<DecryptResponseWire>.Create(http, new DecryptResponseWire(result.Plaintext, result.KeyId, result.Version),
            [result.Plaintext]);
    }

    public async Task<IResult> ReEncryptAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<ReEncryptRequestWire>(http.Request, cancellationToken);
        var audit = KmsRequestContext.Of(http);
        var single = request.Ciphertext is not null || request.SourceContext is not null || request.DestinationKeyId is not null
            || request.DestinationContext is not null;
        if (RequireBatch(request.Items, single, "ciphertext") is { } items)
        {
            var results = await RunBatchAsync(items, async item =>
            {
                var r = await ReEncryptOneAsync(item.Ciphertext, item.SourceContext, item.DestinationKeyId, item.DestinationContext, cancellationToken);
                return new ReEncryptItemResultWire(r.Ciphertext, r.KeyId, r.Version, r.SourceKeyId, r.SourceVersion, null);
            }, e => new ReEncryptItemResultWire(null, null, null, null, null, e));
            audit.SetKey(results.FirstOrDefault(r => r.KeyId is not null)?.KeyId);
            return Results.Json(new ReEncryptResponseWire(Items: results), KmsJson.Options);
        }

        var result = await ReEncryptOneAsync(request.Ciphertext, request.SourceContext, request.DestinationKeyId, request.DestinationContext,
            cancellationToken);
        audit.SetKey(result.KeyId, result.Version);
        return Results.Json(new ReEncryptResponseWire(result.Ciphertext, result.KeyId, result.Version,
            result.SourceKeyId, result.SourceVersion), KmsJson.Options);
    }

    public async Task<IResult> GenerateDataKeyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<GenerateDataKeyRequest>(http.Request, cancellationToken);
        var spec = request.KeySpec is null ? DataKeySpec.Aes256 : DataKeySpecNames.Parse(request.KeySpec);
        var context = EncryptionContext.From(request.Context);
        KmsRequestContext.Of(http).SetContextKeys(context.Keys);
        var result = await _crypto.GenerateDataKeyAsync(http.RouteValue("keyIdOrAlias"), spec, context, cancellationToken);
        KmsRequestContext.Of(http).SetKey(result.KeyId, result.Version);
        // The data key is zeroed once the answer is written, whether or not the answer carries it.
        var plaintext = request.IncludePlaintext ?? true ? result.Plaintext : null;
        return ZeroingJsonResult<GenerateDataKeyResponseWire>.Create(http,
            new GenerateDataKeyResponseWire(plaintext, result.Ciphertext, result.KeyId, result.Version), [result.Plaintext]);
    }

    public async Task<IResult> SignAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<SignRequest>(http.Request, cancellationToken);
        var algorithm = SigningAlgorithmNames.Parse(request.Algorithm ?? throw KmsErrors.MissingField("algorithm"));
        var result = await _crypto.SignAsync(http.RouteValue("keyIdOrAlias"), algorithm, Base64Field.Optional(request.Message, "message"),
            Base64Field.Optional(request.Digest, "digest"), cancellationToken);
        KmsRequestContext.Of(http).SetKey(result.KeyId, result.Version);
        return Results.Json(new SignResponseWire(result.Signature, result.KeyId, result.Version, SigningAlgorithmNames.ToWire(result.Algorithm)),
            KmsJson.Options);
    }

    public async Task<IResult> VerifyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<VerifyRequest>(http.Request, cancellationToken);
        var algorithm = SigningAlgorithmNames.Parse(request.Algorithm ?? throw KmsErrors.MissingField("algorithm"));
        var signature = Base64Field.Required(request.Signature, "signature");
        var result = await _crypto.VerifyAsync(http.RouteValue("keyIdOrAlias"), algorithm, Base64Field.Optional(request.Message, "message"),
            Base64Field.Optional(request.Digest, "digest"), signature, request.Version, cancellationToken);
        KmsRequestContext.Of(http).SetKey(result.KeyId, result.Version);
        return Results.Json(new VerifyResponse(result.Valid, result.KeyId, result.Version), KmsJson.Options);
    }

    /// <summary>SPKI PEM by default (what openssl reads); JSON with metadata when the caller accepts only application/json.</summary>
    public async Task<IResult> GetPublicKeyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        int? version = null;
        if (http.Request.Query.TryGetValue("version", out var v))
        {
            version = int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw KmsErrors.Validation("'version' must be a positive whole number.");
        }

        var result = await _crypto.GetPublicKeyAsync(http.RouteValue("keyIdOrAlias"), version, cancellationToken);
        KmsRequestContext.Of(http).SetKey(result.KeyId, result.Version);
        http.Response.Headers["x-kms-key-version"] = result.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var accept = http.Request.Headers.Accept.ToString();
        return accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("pem", StringComparison.OrdinalIgnoreCase)
            ? Results.Json(new PublicKeyResponse(result.KeyId, result.Version, KeySpecNames.ToWire(result.Spec), result.ToPem()), KmsJson.Options)
            : Results.Text(result.ToPem() + "\n", "application/x-pem-file");
    }

    public async Task<IResult> GenerateMacAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<MacRequest>(http.Request, cancellationToken);
        var result = await _crypto.GenerateMacAsync(http.RouteValue("keyIdOrAlias"), Base64Field.Required(request.Message, "message"), cancellationToken);
        KmsRequestContext.Of(http).SetKey(result.KeyId, result.Version);
        return Results.Json(new MacResponseWire(result.Mac, result.KeyId, result.Version), KmsJson.Options);
    }

    public async Task<IResult> VerifyMacAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<VerifyMacRequest>(http.Request, cancellationToken);
        var message = Base64Field.Required(request.Message, "message");
        var mac = Base64Field.Required(request.Mac, "mac");
        var result = await _crypto.VerifyMacAsync(http.RouteValue("keyIdOrAlias"), message, mac, request.Version, cancellationToken);
        KmsRequestContext.Of(http).SetKey(result.KeyId, result.Version);
        return Results.Json(new VerifyResponse(result.Valid, result.KeyId, result.Version), KmsJson.Options);
    }

    public async Task<IResult> GenerateRandomAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<RandomRequest>(http.Request, cancellationToken);
        var bytes = await _crypto.GenerateRandomAsync(request.Bytes ?? throw KmsErrors.MissingField("bytes"), cancellationToken);
        return ZeroingJsonResult<RandomResponseWire>.Create(http, new RandomResponseWire(bytes), [bytes]);
    }

    // The decoded plaintext is zeroed by EncryptAsync when the request ends (with every other item's), and the body it
    // came from by RequestBody.
    private Task<EncryptResult> EncryptOneAsync(string keyIdOrAlias, Base64Bytes? plaintext, EncryptionContext context,
        CancellationToken cancellationToken) =>
        _crypto.EncryptAsync(keyIdOrAlias, Base64Field.Required(plaintext, "plaintext"), context, cancellationToken);

    private Task<DecryptResult> DecryptOneAsync(Base64Bytes? ciphertext, EncryptionContext context, CancellationToken cancellationToken) =>
        _crypto.DecryptAsync(Base64Field.Required(ciphertext, "ciphertext"), context, cancellationToken);

    private Task<ReEncryptResult> ReEncryptOneAsync(Base64Bytes? ciphertext, Dictionary<string, string>? sourceContext, string? destinationKeyId,
        Dictionary<string, string>? destinationContext, CancellationToken cancellationToken) =>
        _crypto.ReEncryptAsync(Base64Field.Required(ciphertext, "ciphertext"), EncryptionContext.From(sourceContext, "sourceContext"),
            destinationKeyId, EncryptionContext.From(destinationContext, "destinationContext"), cancellationToken);

    /// <summary>Returns the items when the request is a batch; a request is either single or batch, never both.</summary>
    private List<T>? RequireBatch<T>(List<T>? items, bool hasSingleFields, string singleField)
    {
        if (items is null)
        {
            return hasSingleFields ? null : throw KmsErrors.MissingField(singleField);
        }

        if (hasSingleFields)
        {
            throw KmsErrors.Validation($"Send either 'items' or a single request's fields, not both.");
        }

        if (items.Count == 0)
        {
            throw KmsErrors.Validation("'items' must not be empty.");
        }

        return items.Count > _maxBatchItems ? throw KmsErrors.BatchTooLarge(items.Count, _maxBatchItems) : items;
    }

    /// <summary>Runs each item in order; a failed item carries the error a single request would get, others still run.</summary>
    private static async Task<TResult[]> RunBatchAsync<TItem, TResult>(List<TItem> items, Func<TItem, Task<TResult>> run, Func<ItemError, TResult> fail)
    {
        var results = new TResult[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            try
            {
                results[i] = items[i] is null ? fail(new ItemError(KmsErrorCodes.ValidationFailed, 400, "The item is null.")) : await run(items[i]);
            }
            catch (KmsException e) when (e.Kind is not KmsErrorKind.Unavailable and not KmsErrorKind.Internal)
            {
                // Dependency outages fail the whole batch (503) so the caller retries it; item errors do not.
                results[i] = fail(new ItemError(e.Code, KmsProblem.StatusOf(e.Kind), e.Message));
            }
        }

        return results;
    }
}

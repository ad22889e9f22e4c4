using System.Globalization;
using Azure;
using Azure.Core;
using Kms.Client.Models;
using Kms.Client.Serialization;

namespace Kms.Client;

// The cryptographic routes. Binary values are bytes here and base64 on the wire; the encryption context is bound
// to the ciphertext as authenticated data (decrypt must present the same map) and should hold no secrets.
public partial class KmsClient
{
    /// <summary><c>POST /api/keys/{keyIdOrAlias}/encrypt</c>: 1 byte to 64 KiB under the key's primary version.</summary>
    public virtual Task<Response<EncryptResult>> EncryptAsync(string keyIdOrAlias, ReadOnlyMemory<byte> plaintext,
        IReadOnlyDictionary<string, string>? context = null, CancellationToken cancellationToken = default) =>
        EncryptCoreAsync(keyIdOrAlias, plaintext, context, async: true, cancellationToken).AsTask();

    internal async ValueTask<Response<EncryptResult>> EncryptCoreAsync(string keyIdOrAlias, ReadOnlyMemory<byte> plaintext,
        IReadOnlyDictionary<string, string>? context, bool async, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/encrypt",
            new EncryptBody(plaintext, context), Json.EncryptBody);
        return await SendAsync(message, Json.EncryptResult, async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Encrypts up to 1000 items in one request; each item succeeds or fails on its own, in order.</summary>
    public virtual async Task<Response<IReadOnlyList<BatchItemResult<EncryptResult>>>> EncryptBatchAsync(string keyIdOrAlias,
        IEnumerable<EncryptItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var body = new EncryptBody(Items: items.Select(i => new EncryptItemBody(i.Plaintext, i.Context)).ToList());
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/encrypt", body, Json.EncryptBody);
        var answer = await SendAsync(message, Json.BatchAnswerEncryptItemAnswer, async: true, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BatchItemResult<EncryptResult>> results = answer.Value.Items.Select(i => new BatchItemResult<EncryptResult>(
            i.Error is null ? new EncryptResult(i.Ciphertext!, i.KeyId!, i.Version!.Value) : null, i.Error)).ToList();
        return Response.FromValue(results, answer.GetRawResponse());
    }

    /// <summary><c>POST /api/decrypt</c>: the key and version come from the ciphertext. Any ciphertext that does not open
    /// (modified, truncated, other context) is refused with <c>InvalidCiphertext</c>.</summary>
    public virtual Task<Response<DecryptResult>> DecryptAsync(ReadOnlyMemory<byte> ciphertext, IReadOnlyDictionary<string, string>? context = null,
        CancellationToken cancellationToken = default) =>
        DecryptCoreAsync(ciphertext, context, async: true, cancellationToken).AsTask();

    internal async ValueTask<Response<DecryptResult>> DecryptCoreAsync(ReadOnlyMemory<byte> ciphertext, IReadOnlyDictionary<string, string>? context,
        bool async, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, "decrypt", new DecryptBody(ciphertext, context), Json.DecryptBody);
        return await SendAsync(message, Json.DecryptResult, async, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response<IReadOnlyList<BatchItemResult<DecryptResult>>>> DecryptBatchAsync(IEnumerable<DecryptItem> items,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var body = new DecryptBody(Items: items.Select(i => new DecryptItemBody(i.Ciphertext, i.Context)).ToList());
        using var message = CreateMessage(RequestMethod.Post, "decrypt", body, Json.DecryptBody);
        var answer = await SendAsync(message, Json.BatchAnswerDecryptItemAnswer, async: true, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BatchItemResult<DecryptResult>> results = answer.Value.Items.Select(i => new BatchItemResult<DecryptResult>(
            i.Error is null ? new DecryptResult(i.Plaintext!, i.KeyId!, i.Version!.Value) : null, i.Error)).ToList();
        return Response.FromValue(results, answer.GetRawResponse());
    }

    /// <summary><c>POST /api/re-encrypt</c>: decrypts and encrypts inside the KMS; the plaintext never leaves it.</summary>
    public virtual async Task<Response<ReEncryptResult>> ReEncryptAsync(ReadOnlyMemory<byte> ciphertext, ReEncryptOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var body = new ReEncryptBody(ciphertext, options?.SourceContext, options?.DestinationKeyId, options?.DestinationContext);
        using var message = CreateMessage(RequestMethod.Post, "re-encrypt", body, Json.ReEncryptBody);
        return await SendAsync(message, Json.ReEncryptResult, async: true, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response<IReadOnlyList<BatchItemResult<ReEncryptResult>>>> ReEncryptBatchAsync(IEnumerable<ReEncryptItem> items,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var body = new ReEncryptBody(Items: items.Select(i => new ReEncryptItemBody(i.Ciphertext, i.Options?.SourceContext, i.Options?.DestinationKeyId,
            i.Options?.DestinationContext)).ToList());
        using var message = CreateMessage(RequestMethod.Post, "re-encrypt", body, Json.ReEncryptBody);
        var answer = await SendAsync(message, Json.BatchAnswerReEncryptItemAnswer, async: true, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<BatchItemResult<ReEncryptResult>> results = answer.Value.Items.Select(i => new BatchItemResult<ReEncryptResult>(
            i.Error is null ? new ReEncryptResult(i.Ciphertext!, i.KeyId!, i.Version!.Value, i.SourceKeyId!, i.SourceVersion!.Value) : null,
            i.Error)).ToList();
        return Response.FromValue(results, answer.GetRawResponse());
    }

    /// <summary><c>POST /api/keys/{keyIdOrAlias}/generate-data-key</c>: a fresh key from the HSM, in plaintext (unless
    /// not asked for) and encrypted under the KMS key; <see cref="DecryptAsync"/> opens the encrypted one.</summary>
    public virtual async Task<Response<DataKeyResult>> GenerateDataKeyAsync(string keyIdOrAlias, GenerateDataKeyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new GenerateDataKeyOptions();
        var body = new GenerateDataKeyBody(options.KeySpec, options.Context, options.IncludePlaintext ? null : false);
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/generate-data-key", body,
            Json.GenerateDataKeyBody);
        return await SendAsync(message, Json.DataKeyResult, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs a message (hashed by the KMS) with the key's primary version.</summary>
    public virtual Task<Response<SignResult>> SignAsync(string keyIdOrAlias, string algorithm, ReadOnlyMemory<byte> message,
        CancellationToken cancellationToken = default) =>
        SignAsync(keyIdOrAlias, new SignBody(algorithm, message, null), cancellationToken);

    /// <summary>Signs a precomputed digest of the algorithm's hash length.</summary>
    public virtual Task<Response<SignResult>> SignDigestAsync(string keyIdOrAlias, string algorithm, ReadOnlyMemory<byte> digest,
        CancellationToken cancellationToken = default) =>
        SignAsync(keyIdOrAlias, new SignBody(algorithm, null, digest), cancellationToken);

    /// <summary>Verifies a message's signature with the primary version, or <paramref name="version"/> (signatures do not carry it).</summary>
    public virtual Task<Response<VerifyResult>> VerifyAsync(string keyIdOrAlias, string algorithm, ReadOnlyMemory<byte> message,
        ReadOnlyMemory<byte> signature, int? version = null, CancellationToken cancellationToken = default) =>
        VerifyAsync(keyIdOrAlias, new VerifyBody(algorithm, signature, message, null, version), cancellationToken);

    public virtual Task<Response<VerifyResult>> VerifyDigestAsync(string keyIdOrAlias, string algorithm, ReadOnlyMemory<byte> digest,
        ReadOnlyMemory<byte> signature, int? version = null, CancellationToken cancellationToken = default) =>
        VerifyAsync(keyIdOrAlias, new VerifyBody(algorithm, signature, null, digest, version), cancellationToken);

    /// <summary><c>GET /api/keys/{keyIdOrAlias}/public-key</c>: the SPKI PEM of the primary version, or of <paramref name="version"/>.</summary>
    public virtual async Task<Response<KmsPublicKey>> GetPublicKeyAsync(string keyIdOrAlias, int? version = null,
        CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/public-key",
            ("version", version?.ToString(CultureInfo.InvariantCulture)));
        return await SendAsync(message, Json.KmsPublicKey, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/keys/{keyIdOrAlias}/mac</c>: an HMAC of the message.</summary>
    public virtual async Task<Response<MacResult>> GenerateMacAsync(string keyIdOrAlias, ReadOnlyMemory<byte> message,
        CancellationToken cancellationToken = default)
    {
        using var request = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/mac", new MacBody(message),
            Json.MacBody);
        return await SendAsync(request, Json.MacResult, async: true, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response<VerifyResult>> VerifyMacAsync(string keyIdOrAlias, ReadOnlyMemory<byte> message, ReadOnlyMemory<byte> mac,
        int? version = null, CancellationToken cancellationToken = default)
    {
        using var request = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/verify-mac",
            new VerifyMacBody(message, mac, version), Json.VerifyMacBody);
        return await SendAsync(request, Json.VerifyResult, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/random</c>: 1 to 1024 random bytes from the HSM.</summary>
    public virtual async Task<Response<byte[]>> GenerateRandomAsync(int byteCount, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, "random", new RandomBody(byteCount), Json.RandomBody);
        var answer = await SendAsync(message, Json.RandomAnswer, async: true, cancellationToken).ConfigureAwait(false);
        return Response.FromValue(answer.Value.Random, answer.GetRawResponse());
    }

    private async Task<Response<SignResult>> SignAsync(string keyIdOrAlias, SignBody body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(body.Algorithm, "algorithm");
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/sign", body, Json.SignBody);
        return await SendAsync(message, Json.SignResult, async: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Response<VerifyResult>> VerifyAsync(string keyIdOrAlias, VerifyBody body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(body.Algorithm, "algorithm");
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}/verify", body, Json.VerifyBody);
        return await SendAsync(message, Json.VerifyResult, async: true, cancellationToken).ConfigureAwait(false);
    }

    // IKmsDataKeyProvider, explicitly: the envelope layer's seam, in its own types.

    async Task<KmsDataKey> IKmsDataKeyProvider.GenerateDataKeyAsync(string keyIdOrAlias, IReadOnlyDictionary<string, string>? context,
        CancellationToken cancellationToken)
    {
        var key = (await GenerateDataKeyAsync(keyIdOrAlias,
            new GenerateDataKeyOptions { KeySpec = "AES_256", Context = context, IncludePlaintext = true }, cancellationToken).ConfigureAwait(false)).Value;
        return new KmsDataKey(key.KeyId, key.Version,
            key.Plaintext ?? throw new RequestFailedException(0, "The KMS answered a data key without its plaintext."), key.Ciphertext);
    }

    async Task<KmsDataKey> IKmsDataKeyProvider.DecryptDataKeyAsync(byte[] wrappedDataKey, IReadOnlyDictionary<string, string>? context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wrappedDataKey);
        var opened = (await DecryptAsync(wrappedDataKey, context, cancellationToken).ConfigureAwait(false)).Value;
        return new KmsDataKey(opened.KeyId, opened.Version, opened.Plaintext, wrappedDataKey);
    }
}

namespace Kms.Api.Contracts;

// Request and response bodies of the cryptographic routes. Binary fields are base64 strings.
// The encrypt, decrypt and re-encrypt records describe the wire for OpenAPI; their handlers read and write the
// twins in CryptoWire.cs (bytes instead of base64 strings), which must keep the same shape.
// encrypt, decrypt and re-encrypt take either one request or {items: [...]}; a batch answers
// {items: [...]} with a result or an error per item, in order.

public sealed record EncryptItem(string? Plaintext, Dictionary<string, string>? Context = null);

public sealed record EncryptRequest(string? Plaintext = null, Dictionary<string, string>? Context = null, List<EncryptItem>? Items = null);

public sealed record EncryptResponse(string? Ciphertext = null, string? KeyId = null, int? Version = null,
    IReadOnlyList<EncryptItemResult>? Items = null);

public sealed record EncryptItemResult(string? Ciphertext, string? KeyId, int? Version, ItemError? Error);

public sealed record DecryptItem(string? Ciphertext, Dictionary<string, string>? Context = null);

public sealed record DecryptRequest(string? Ciphertext = null, Dictionary<string, string>? Context = null, List<DecryptItem>? Items = null);

public sealed record DecryptResponse(string? Plaintext = null, string? KeyId = null, int? Version = null,
    IReadOnlyList<DecryptItemResult>? Items = null);

public sealed record DecryptItemResult(string? Plaintext, string? KeyId, int? Version, ItemError? Error);

public sealed record ReEncryptItem(
    string? Ciphertext,
    Dictionary<string, string>? SourceContext = null,
    string? DestinationKeyId = null,
    Dictionary<string, string>? DestinationContext = null);

public sealed record ReEncryptRequest(
    string? Ciphertext = null,
    Dictionary<string, string>? SourceContext = null,
    string? DestinationKeyId = null,
    Dictionary<string, string>? DestinationContext = null,
    List<ReEncryptItem>? Items = null);

public sealed record ReEncryptResponse(string? Ciphertext = null, string? KeyId = null, int? Version = null,
    string? SourceKeyId = null, int? SourceVersion = null, IReadOnlyList<ReEncryptItemResult>? Items = null);

public sealed record ReEncryptItemResult(string? Ciphertext, string? KeyId, int? Version, string? SourceKeyId, int? SourceVersion, ItemError? Error);

/// <summary>The error of one batch item: the same code and text a single request would get.</summary>
public sealed record ItemError(string Code, int Status, string Detail);

public sealed record GenerateDataKeyRequest(string? KeySpec = null, Dictionary<string, string>? Context = null, bool? IncludePlaintext = null);

public sealed record GenerateDataKeyResponse(string? Plaintext, string Ciphertext, string KeyId, int Version);

public sealed record SignRequest(string? Algorithm, string? Message = null, string? Digest = null);

public sealed record SignResponse(string Signature, string KeyId, int Version, string Algorithm);

public sealed record VerifyRequest(string? Algorithm, string? Signature, string? Message = null, string? Digest = null, int? Version = null);

public sealed record VerifyResponse(bool Valid, string KeyId, int Version);

public sealed record PublicKeyResponse(string KeyId, int Version, string KeySpec, string PublicKey);

public sealed record MacRequest(string? Message);

public sealed record MacResponse(string Mac, string KeyId, int Version);

public sealed record VerifyMacRequest(string? Message, string? Mac, int? Version = null);

public sealed record RandomRequest(int? Bytes);

public sealed record RandomResponse(string Random);

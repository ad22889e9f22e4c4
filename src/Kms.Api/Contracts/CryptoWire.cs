using Kms.Api.Http;

namespace Kms.Api.Contracts;

// What the encrypt, decrypt and re-encrypt handlers actually read and write, and what the data-key, sign, MAC and
// random handlers answer: the records of CryptoContracts.cs (which the OpenAPI document describes) with each base64
// field held as bytes. Requests decode base64 straight from the body's UTF-8 (Base64Bytes) and responses encode
// byte[] straight into the output (Base64StringConverter, unescaped, as Kms.Client writes them), so a batch of 1,000
// items creates no base64 strings. A secret answered as bytes (a plaintext, a data key, random bytes) is zeroed once
// written (ZeroingJsonResult); as a base64 string it would stay in memory until the GC reused it.
// Same names, order and nullability as the contracts; CryptoWireTests keeps the two in step.

internal sealed record EncryptItemWire(Base64Bytes? Plaintext, Dictionary<string, string>? Context = null);

internal sealed record EncryptRequestWire(Base64Bytes? Plaintext = null, Dictionary<string, string>? Context = null, List<EncryptItemWire>? Items = null);

internal sealed record EncryptResponseWire([property: Base64String] byte[]? Ciphertext = null, string? KeyId = null, int? Version = null,
    IReadOnlyList<EncryptItemResultWire>? Items = null);

internal sealed record EncryptItemResultWire([property: Base64String] byte[]? Ciphertext, string? KeyId, int? Version, ItemError? Error);

internal sealed record DecryptItemWire(Base64Bytes? Ciphertext, Dictionary<string, string>? Context = null);

internal sealed record DecryptRequestWire(Base64Bytes? Ciphertext = null, Dictionary<string, string>? Context = null, List<DecryptItemWire>? Items = null);

internal sealed record DecryptResponseWire([property: Base64String] byte[]? Plaintext = null, string? KeyId = null, int? Version = null,
    IReadOnlyList<DecryptItemResultWire>? Items = null);

internal sealed record DecryptItemResultWire([property: Base64String] byte[]? Plaintext, string? KeyId, int? Version, ItemError? Error);

internal sealed record ReEncryptItemWire(
    Base64Bytes? Ciphertext,
    Dictionary<string, string>? SourceContext = null,
    string? DestinationKeyId = null,
    Dictionary<string, string>? DestinationContext = null);

internal sealed record ReEncryptRequestWire(
    Base64Bytes? Ciphertext = null,
    Dictionary<string, string>? SourceContext = null,
    string? DestinationKeyId = null,
    Dictionary<string, string>? DestinationContext = null,
    List<ReEncryptItemWire>? Items = null);

internal sealed record ReEncryptResponseWire([property: Base64String] byte[]? Ciphertext = null, string? KeyId = null, int? Version = null,
    string? SourceKeyId = null, int? SourceVersion = null, IReadOnlyList<ReEncryptItemResultWire>? Items = null);

internal sealed record ReEncryptItemResultWire([property: Base64String] byte[]? Ciphertext, string? KeyId, int? Version, string? SourceKeyId, int? SourceVersion,
    ItemError? Error);

internal sealed record GenerateDataKeyResponseWire([property: Base64String] byte[]? Plaintext, [property: Base64String] byte[] Ciphertext, string KeyId,
    int Version);

internal sealed record SignResponseWire([property: Base64String] byte[] Signature, string KeyId, int Version, string Algorithm);

internal sealed record MacResponseWire([property: Base64String] byte[] Mac, string KeyId, int Version);

internal sealed record RandomResponseWire([property: Base64String] byte[] Random);

using System.Security.Cryptography;
using Kms.Core;
using Kms.Core.Ports;
using Kms.Core.Services;

namespace Kms.Storage.Tables.Tests;

/// <summary>Records as the key manager builds them, with random stand-ins for wrapped material.</summary>
internal static class Records
{
    // Whole seconds in the past, so equality checks are not at the mercy of the stored clock precision.
    public static readonly DateTimeOffset Created = new(2025, 3, 1, 10, 30, 0, TimeSpan.Zero);

    public static KeyRecord Key(string? keyId = null, KeySpec spec = KeySpec.Aes256, IReadOnlyDictionary<string, string>? tags = null,
        string? description = null) =>
        new(keyId ?? KeyIdentifiers.NewKeyId(), spec, spec.DefaultUsage(), KeyState.Enabled, 1, 1, description,
            tags ?? new Dictionary<string, string>(), Created, Created);

    public static KeyVersionRecord Version(string keyId, int version, byte[]? material = null, byte[]? publicKey = null) =>
        new(keyId, version, KeyVersionState.Enabled, material ?? RandomNumberGenerator.GetBytes(40), publicKey, "root-1",
            Created.AddMinutes(version), Created.AddMinutes(version));

    public static RoleAssignment Assignment(string principal, string? role = null, string scope = "*") =>
        new(Guid.NewGuid().ToString("D"), principal, role ?? "KeyUser", scope, "admin@example.com", Created);

    public static StoredKeyPolicy Policy(string keyId, string document = """{"statements":[]}""", string? etag = null) =>
        new(keyId, document, Created, "admin@example.com", etag);

    /// <summary>Every byte value, twice over: catches any text or encoding step mangling binary properties.</summary>
    public static byte[] AllByteValues() => [.. Enumerable.Range(0, 512).Select(i => (byte)(i % 256))];
}

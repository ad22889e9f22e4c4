using System.Buffers.Binary;
using FsCheck.Xunit;
using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Tests.Services;

namespace Kms.Core.Tests.Crypto;

/// <summary>
/// Properties of the ciphertext format (docs/ciphertext-format.md): what is written parses back to the same fields, no
/// byte string makes the parser throw, and no mutation of a real ciphertext decrypts or fails with anything but the
/// documented KMS errors.
/// </summary>
public sealed class CiphertextPropertyTests
{
    // One service over the software HSM for every run of the decryption properties (creating a key per run is slow).
    private static readonly Lazy<(ServiceFixture Services, string KeyId)> Sealed = new(() =>
    {
        var services = new ServiceFixture();
        var keyId = Task.Run(() => services.CreateKeyAsync(KeySpec.Aes256)).GetAwaiter().GetResult();
        return (services, keyId);
    });

    [Property(MaxTest = 500)]
    public void WriteHeaderThenAssemble_AnyKeyVersionIvAndBody_ParsesToTheSameFields(int seed, byte[] body)
    {
        var rng = new Random(seed);
        var keyId = new Guid(Bytes(rng, 16));
        var version = rng.Next(1, int.MaxValue);
        var iv = Bytes(rng, Ciphertext.IvLength);
        byte[] sealedData = [.. body, .. Bytes(rng, Ciphertext.TagLength)];
        var header = new byte[Ciphertext.HeaderLength];
        Ciphertext.WriteHeader(header, keyId, version);

        var blob = Ciphertext.Assemble(header, iv, sealedData);

        Assert.True(Ciphertext.TryParse(blob, out var parsed));
        Assert.Equal(keyId, parsed.KeyId);
        Assert.Equal(version, parsed.Version);
        Assert.Equal(header, parsed.Header.ToArray());
        Assert.Equal(iv, parsed.Iv.ToArray());
        Assert.Equal(sealedData, parsed.EncryptedDataAndTag.ToArray());
    }

    [Property(MaxTest = 1000)]
    public void TryParse_AnyBytes_NeverThrows_AndAcceptsOnlyWellFormedHeaders(byte[] bytes, bool validPrefix)
    {
        if (validPrefix && bytes.Length >= 2)
        {
            // Half the runs get past the version and algorithm checks, so the length and version checks are reached.
            bytes[0] = Ciphertext.FormatVersion1;
            bytes[1] = Ciphertext.AlgorithmAes256Gcm;
        }

        if (Ciphertext.TryParse(bytes, out var parsed))
        {
            Assert.True(bytes.Length >= Ciphertext.Overhead);
            Assert.Equal((uint)parsed.Version, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(18)));
            Assert.InRange(parsed.Version, 1, int.MaxValue);
            Assert.Equal(bytes.Length - Ciphertext.HeaderLength - Ciphertext.IvLength, parsed.EncryptedDataAndTag.Length);
        }
    }

    [Property(MaxTest = 200)]
    public void EncryptThenDecrypt_AnyPlaintextAndContext_RoundTrips(byte[] body, int seed)
    {
        var (services, keyId) = Sealed.Value;
        byte[] plaintext = [(byte)seed, .. body]; // the API refuses an empty plaintext
        var context = EncryptionContext.From(RandomContext(new Random(seed)));

        var decrypted = Run(async () =>
        {
            var encrypted = await services.Crypto.EncryptAsync(keyId, plaintext, context, CancellationToken.None);
            return await services.Crypto.DecryptAsync(encrypted.Ciphertext, context, CancellationToken.None);
        });

        Assert.Equal(plaintext, decrypted.Plaintext);
        Assert.Equal(keyId, decrypted.KeyId);
    }

    [Property(MaxTest = 400)]
    public void Decrypt_AnyMutationOfARealCiphertext_FailsWithAKmsErrorOnly(int seed)
    {
        var (services, keyId) = Sealed.Value;
        var rng = new Random(seed);
        var plaintext = Bytes(rng, rng.Next(1, 64));
        var context = EncryptionContext.From(new Dictionary<string, string> { ["tenant"] = "acme" });
        var original = Run(() => services.Crypto.EncryptAsync(keyId, plaintext, context, CancellationToken.None)).Ciphertext;
        var mutated = Mutate(rng, original);

        var error = Record.Exception(() => Run(() => services.Crypto.DecryptAsync(mutated, context, CancellationToken.None)));

        // GCM authenticates header, IV, data and tag: no change can decrypt.
        var kms = Assert.IsType<KmsException>(error);
        Assert.Contains(kms.Code, new[] { KmsErrorCodes.InvalidCiphertext, KmsErrorCodes.KeyNotFound, KmsErrorCodes.KeyVersionNotFound });
    }

    [Property(MaxTest = 400)]
    public void Decrypt_AnyByteString_FailsWithInvalidCiphertextOrKeyNotFound(byte[] bytes)
    {
        var (services, _) = Sealed.Value;

        var error = Record.Exception(() => Run(() => services.Crypto.DecryptAsync(bytes, EncryptionContext.Empty, CancellationToken.None)));

        var kms = Assert.IsType<KmsException>(error);
        Assert.Contains(kms.Code, new[] { KmsErrorCodes.InvalidCiphertext, KmsErrorCodes.KeyNotFound, KmsErrorCodes.KeyVersionNotFound });
    }

    private static byte[] Mutate(Random rng, byte[] original)
    {
        var blob = (byte[])original.Clone();
        switch (rng.Next(6))
        {
            case 0:
                blob[rng.Next(blob.Length)] ^= (byte)(1 << rng.Next(8));
                return blob;
            case 1:
                return blob[..rng.Next(blob.Length)];
            case 2:
                return [.. blob, .. Bytes(rng, rng.Next(1, 40))];
            case 3:
                BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(18), (uint)rng.Next(2, int.MaxValue) | (rng.Next(2) == 0 ? 0x8000_0000u : 0));
                return blob;
            case 4:
                var at = rng.Next(blob.Length);
                return [.. blob[..at], .. blob[(at + 1)..]];
            default:
                new Guid(Bytes(rng, 16)).TryWriteBytes(blob.AsSpan(2, 16), bigEndian: true, out _);
                return blob;
        }
    }

    private static Dictionary<string, string> RandomContext(Random rng)
    {
        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = rng.Next(0, 6); i > 0; i--)
        {
            context["k" + RandomText(rng, rng.Next(0, 8))] = RandomText(rng, rng.Next(0, 40));
        }

        return context;
    }

    /// <summary>Any Unicode text that has a UTF-8 form (letters, symbols, astral planes), never lone surrogates.</summary>
    private static string RandomText(Random rng, int length)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < length; i++)
        {
            var codePoint = rng.Next(3) switch
            {
                0 => rng.Next(0x20, 0x7F),
                1 => rng.Next(0xA0, 0xD800),
                _ => rng.Next(0x1F300, 0x1FAFF),
            };
            text.Append(char.ConvertFromUtf32(codePoint));
        }

        return text.ToString();
    }

    private static byte[] Bytes(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }

    // The services are async; properties are synchronous. Task.Run keeps xUnit's synchronization context out of the wait.
    private static T Run<T>(Func<Task<T>> action) => Task.Run(action).GetAwaiter().GetResult();
}

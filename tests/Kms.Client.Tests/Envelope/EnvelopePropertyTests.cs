using System.Security.Cryptography;
using System.Text;
using FsCheck.Xunit;
using Kms.Client.Envelope;
using Kms.Client.Tests.Envelope.Fakes;

namespace Kms.Client.Tests.Envelope;

/// <summary>
/// Properties of the envelope message format (docs/envelope-format.md): encrypt → decrypt is the identity for any
/// plaintext, context and frame length, and any byte string or mutation of a real message decrypts to nothing and fails
/// with the documented <see cref="EnvelopeDecryptionException"/> (or the KMS's own refusal of the wrapped key), never with
/// IndexOutOfRange, NullReference, Overflow or another exception.
/// </summary>
public sealed class EnvelopePropertyTests
{
    private const string KeyId = EnvelopeEncryptorRoundTripTests.KeyId;

    private static readonly int[] FrameLengths = [1, 7, 16, 100, 4096];

    private readonly FakeKmsDataKeyProvider _kms = new();

    [Property(MaxTest = 200)]
    public void EncryptThenDecrypt_AnyPlaintextContextAndFrameLength_IsTheIdentity(byte[] plaintext, int seed)
    {
        var rng = new Random(seed);
        var encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = FrameLengths[rng.Next(FrameLengths.Length)] });
        var context = RandomContext(rng);

        var result = Run(async () => await encryptor.DecryptAsync(await encryptor.EncryptAsync(plaintext, context), context));

        Assert.Equal(plaintext, result.Plaintext);
        Assert.Equal(context.OrderBy(p => p.Key, StringComparer.Ordinal), result.EncryptionContext.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(KeyId, result.KeyId);
    }

    [Property(MaxTest = 500)]
    public void Decrypt_AnyMutationOfARealMessage_FailsWithTheDocumentedException(int seed)
    {
        var rng = new Random(seed);
        var encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = FrameLengths[rng.Next(FrameLengths.Length)] });
        var plaintext = RandomNumberGenerator.GetBytes(rng.Next(0, 300));
        var message = Run(() => encryptor.EncryptAsync(plaintext, RandomContext(rng)));
        var mutated = Mutate(rng, message);

        AssertFailsAsDocumented(encryptor, mutated);
    }

    [Property(MaxTest = 500)]
    public void Decrypt_AnyByteString_FailsWithTheDocumentedException(byte[] bytes, bool validPrefix)
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId);
        if (validPrefix && bytes.Length >= 3)
        {
            // Half the runs pass the version and suite checks, so the length fields behind them are read.
            bytes[0] = 0x01;
            bytes[1] = 0x00;
            bytes[2] = 0x01;
        }

        AssertFailsAsDocumented(encryptor, bytes);
    }

    private static void AssertFailsAsDocumented(EnvelopeEncryptor encryptor, byte[] message)
    {
        var error = Record.Exception(() => Run(() => encryptor.DecryptAsync(message)));

        Assert.NotNull(error);
        // The fake KMS refuses a wrapped key it cannot open with a plain CryptographicException("InvalidCiphertext").
        Assert.True(error is EnvelopeDecryptionException || (error.GetType() == typeof(CryptographicException) && error.Message == "InvalidCiphertext"),
            $"unexpected {error.GetType().Name}: {error.Message}");
    }

    private static byte[] Mutate(Random rng, byte[] message)
    {
        var bytes = (byte[])message.Clone();
        switch (rng.Next(6))
        {
            case 0:
                bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                return bytes;
            case 1:
                return bytes[..rng.Next(bytes.Length)];
            case 2:
                return [.. bytes, .. RandomNumberGenerator.GetBytes(rng.Next(1, 40))];
            case 3:
                // A length or count field set to an extreme value.
                var at = rng.Next(Math.Min(bytes.Length - 1, 120));
                bytes[at] = 0xFF;
                bytes[at + 1] = (byte)rng.Next(256);
                return bytes;
            case 4:
                var cut = rng.Next(bytes.Length);
                return [.. bytes[..cut], .. bytes[(cut + 1)..]];
            default:
                var from = rng.Next(bytes.Length);
                return [.. bytes[..from], .. RandomNumberGenerator.GetBytes(rng.Next(1, 20)), .. bytes[from..]];
        }
    }

    private static Dictionary<string, string> RandomContext(Random rng)
    {
        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = rng.Next(0, 5); i > 0; i--)
        {
            context["k" + RandomText(rng, rng.Next(0, 6))] = RandomText(rng, rng.Next(0, 30));
        }

        return context;
    }

    private static string RandomText(Random rng, int length)
    {
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            text.Append(char.ConvertFromUtf32(rng.Next(3) switch
            {
                0 => rng.Next(0x20, 0x7F),
                1 => rng.Next(0xA0, 0xD800),
                _ => rng.Next(0x1F300, 0x1FAFF),
            }));
        }

        return text.ToString();
    }

    private static T Run<T>(Func<Task<T>> action) => Task.Run(action).GetAwaiter().GetResult();
}

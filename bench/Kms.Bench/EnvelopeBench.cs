using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Kms.Client;
using Kms.Client.Envelope;

namespace Kms.Bench;

/// <summary>
/// Envelope encryption in Kms.Client with a cached data key: 1 KiB messages on one thread through the real
/// <see cref="KmsClient"/> against the running host (the first message fetches the data key, the rest hit the cache),
/// beside raw .NET <see cref="AesGcm"/> encrypts of 1 KiB on one thread, the floor of what a message can cost.
/// </summary>
internal static class EnvelopeBench
{
    public static async Task<int> RunAsync(Uri baseUrl, TimeSpan duration)
    {
        string keyId;
        using (var http = BenchApi.Client(baseUrl, Kms.Core.Authorization.KmsRoles.Admin))
        {
            keyId = await BenchApi.CreateKeyAsync(http, "AES_256", "envelope benchmark");
        }

        var credential = KmsDevCredential.FromKeyFile(Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile")!, "bench",
            Kms.Core.Authorization.KmsRoles.Crypto);
        var client = new KmsClient(baseUrl, credential);
        using var materials = new CachingCryptoMaterialsManager(new KmsKeyring(client, keyId), new DataKeyCacheOptions { MaxAge = TimeSpan.FromHours(1) });
        var encryptor = new EnvelopeEncryptor(materials);
        var plaintext = RandomNumberGenerator.GetBytes(1024);
        var context = new Dictionary<string, string> { ["bench"] = "1" };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Envelope encryption in Kms.Client (1 KiB messages, one thread, data key cached after the first; {Load.Describe(duration)})"));

        var envelope = await Load.MeasureAsync("envelope encrypt 1 KiB", 1, duration, async () => (await encryptor.EncryptAsync(plaintext, context)).Length > 0);
        var scorecard = Scorecard.Open();
        Console.WriteLine(envelope + scorecard.Record((BenchTargets.EnvelopeMessages, envelope.OpsPerSecond)));

        using var aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        var nonce = new byte[12];
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        var counter = 0L;
        var raw = await Load.MeasureAsync(".NET AesGcm encrypt 1 KiB", 1, duration, () =>
        {
            // A fresh nonce per call, as real use needs; writing it costs nothing beside the encryption.
            BinaryPrimitives.WriteInt64BigEndian(nonce, ++counter);
            aes.Encrypt(nonce, plaintext, ciphertext, tag);
            return true;
        });
        Console.WriteLine(raw);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"  envelope / raw AesGcm",-34} {envelope.OpsPerSecond / raw.OpsPerSecond:P0} (per message: cache look-up, header, one AES-GCM frame; the content key is shared)"));
        return 0;
    }
}

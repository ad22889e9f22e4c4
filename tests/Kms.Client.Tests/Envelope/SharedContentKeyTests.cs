using System.Buffers.Binary;
using System.Security.Cryptography;
using Kms.Client.Envelope;
using Kms.Client.Envelope.Internal;
using Kms.Client.Tests.Envelope.Fakes;

namespace Kms.Client.Tests.Envelope;

/// <summary>
/// Format version 2 with a cached data key: messages share the entry's content key, each under its own message number
/// (the nonce prefix), and the key rolls over to a fresh salt at its message or byte limit.
/// </summary>
public sealed class SharedContentKeyTests
{
    private const string KeyId = EnvelopeEncryptorRoundTripTests.KeyId;
    private const int SaltOffset = 3;

    private readonly FakeKmsDataKeyProvider _kms = new();
    private readonly Dictionary<string, string> _context = new() { ["tenant"] = "acme" };

    [Fact]
    public async Task EncryptAsync_CacheHits_ShareOneSaltWithConsecutiveMessageNumbers()
    {
        using var cache = new DataKeyCache(10);
        var encryptor = CreateEncryptor(cache);

        var miss = await encryptor.EncryptAsync(new byte[] { 0 }, _context);
        var hits = new List<byte[]>();
        for (var i = 0; i < 5; i++)
        {
            hits.Add(await encryptor.EncryptAsync(new byte[] { 1 }, _context));
        }

        Assert.All(hits.Prepend(miss), message => Assert.Equal(MessageHeader.FormatVersion2, message[0]));
        Assert.Single(hits.Select(Salt).Distinct());
        Assert.NotEqual(Salt(miss), Salt(hits[0]));
        Assert.Equal([0UL, 1UL, 2UL, 3UL, 4UL], hits.Select(MessageNumber));
        Assert.Equal(0UL, MessageNumber(miss));
        foreach (var message in hits.Prepend(miss))
        {
            await encryptor.DecryptAsync(message, _context);
        }
    }

    [Fact]
    public async Task EncryptAsync_ContentKeyMessageCapReached_RollsOverToANewSaltUnderTheSameDataKey()
    {
        using var cache = new DataKeyCache(10, timeProvider: null, contentKeyMaxMessages: 2, contentKeyMaxBytes: long.MaxValue);
        var encryptor = CreateEncryptor(cache);

        await encryptor.EncryptAsync(new byte[] { 0 }, _context);
        var hits = new List<byte[]>();
        for (var i = 0; i < 5; i++)
        {
            hits.Add(await encryptor.EncryptAsync(BitConverter.GetBytes(i), _context));
        }

        Assert.Equal(1, _kms.GenerateCalls);
        Assert.Equal([0UL, 1UL, 0UL, 1UL, 0UL], hits.Select(MessageNumber));
        var salts = hits.Select(Salt).ToList();
        Assert.Equal(salts[0], salts[1]);
        Assert.Equal(salts[2], salts[3]);
        Assert.Equal(3, salts.Distinct().Count());
        for (var i = 0; i < hits.Count; i++)
        {
            Assert.Equal(BitConverter.GetBytes(i), (await encryptor.DecryptAsync(hits[i], _context)).Plaintext);
        }
    }

    [Fact]
    public async Task EncryptAsync_ContentKeyByteCapReached_RollsOver()
    {
        using var cache = new DataKeyCache(10, timeProvider: null, contentKeyMaxMessages: long.MaxValue, contentKeyMaxBytes: 100);
        var encryptor = CreateEncryptor(cache);

        await encryptor.EncryptAsync(new byte[40], _context);
        var first = await encryptor.EncryptAsync(new byte[60], _context);
        var second = await encryptor.EncryptAsync(new byte[40], _context);
        var third = await encryptor.EncryptAsync(new byte[1], _context);

        Assert.Equal(Salt(first), Salt(second));
        Assert.NotEqual(Salt(second), Salt(third));
        Assert.Equal(0UL, MessageNumber(third));
        Assert.Equal(1, _kms.GenerateCalls);
        await encryptor.DecryptAsync(third, _context);
    }

    [Fact]
    public async Task EncryptAsync_MessageLargerThanTheContentKeyByteCap_GetsAKeyOfItsOwn()
    {
        using var cache = new DataKeyCache(10, timeProvider: null, contentKeyMaxMessages: long.MaxValue, contentKeyMaxBytes: 10);
        var encryptor = CreateEncryptor(cache);

        await encryptor.EncryptAsync(new byte[1], _context);
        var large = await encryptor.EncryptAsync(new byte[11], _context);
        var large2 = await encryptor.EncryptAsync(new byte[11], _context);

        Assert.Equal(1, _kms.GenerateCalls);
        Assert.NotEqual(Salt(large), Salt(large2));
        Assert.Equal(new byte[11], (await encryptor.DecryptAsync(large2, _context)).Plaintext);
    }

    [Fact]
    public async Task EncryptAsync_ManyThreadsOnOneEntry_NeverRepeatASaltAndMessageNumber()
    {
        using var cache = new DataKeyCache(10, timeProvider: null, contentKeyMaxMessages: 50, contentKeyMaxBytes: long.MaxValue);
        var encryptor = CreateEncryptor(cache);
        await encryptor.EncryptAsync(new byte[] { 0 }, _context);

        var messages = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var mine = new List<byte[]>();
            for (var i = 0; i < 200; i++)
            {
                mine.Add(await encryptor.EncryptAsync(BitConverter.GetBytes((worker * 1000) + i), _context));
            }

            return mine;
        })));

        var all = messages.SelectMany(m => m).ToList();
        Assert.Equal(all.Count, all.Select(m => Convert.ToHexString(m.AsSpan(SaltOffset, MessageHeader.MessageIdLength))).Distinct().Count());
        Assert.Equal(1, _kms.GenerateCalls);
        foreach (var message in all.Where((_, i) => i % 97 == 0))
        {
            await encryptor.DecryptAsync(message, _context);
        }
    }

    [Fact]
    public async Task EncryptAsync_AfterEviction_UsesANewDataKeyAndSalt()
    {
        using var cache = new DataKeyCache(10);
        var encryptor = CreateEncryptor(cache);
        await encryptor.EncryptAsync(new byte[] { 0 }, _context);
        var before = await encryptor.EncryptAsync(new byte[] { 1 }, _context);

        cache.EvictKey(KeyId);
        await encryptor.EncryptAsync(new byte[] { 2 }, _context);
        var after = await encryptor.EncryptAsync(new byte[] { 3 }, _context);

        Assert.Equal(2, _kms.GenerateCalls);
        Assert.NotEqual(Salt(before), Salt(after));
        Assert.Equal(0UL, MessageNumber(after));
        Assert.Equal(new byte[] { 1 }, (await encryptor.DecryptAsync(before, _context)).Plaintext);
    }

    [Fact]
    public async Task EncryptAsync_Version2Message_FlippedMessageNumber_DoesNotAuthenticate()
    {
        using var cache = new DataKeyCache(10);
        var encryptor = CreateEncryptor(cache);
        await encryptor.EncryptAsync(new byte[] { 0 }, _context);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        var message = await encryptor.EncryptAsync(new byte[] { 2 }, _context);

        // Message number 1 -> 0: the nonce another message of the same content key used.
        message[SaltOffset + MessageHeader.MessageIdLength - 1] ^= 0x01;

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => encryptor.DecryptAsync(message, _context));
        Assert.Equal(EnvelopeErrorReason.AuthenticationFailed, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_HeaderOfAnotherMessageUnderTheSameContentKey_DoesNotAuthenticate()
    {
        using var cache = new DataKeyCache(10);
        var encryptor = CreateEncryptor(cache);
        await encryptor.EncryptAsync(new byte[] { 0 }, _context);
        var first = await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        var second = await encryptor.EncryptAsync(new byte[] { 2 }, _context);
        Assert.Equal(first.Length, second.Length);
        var headerLength = first.Length - (12 + 1 + 16);

        // Same salt, context and wrapped key: only the message number differs, and it is in frame 1's nonce and AAD.
        var spliced = first.AsSpan(0, headerLength).ToArray().Concat(second.AsSpan(headerLength).ToArray()).ToArray();

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => encryptor.DecryptAsync(spliced, _context));
        Assert.Equal(EnvelopeErrorReason.AuthenticationFailed, error.Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(32)]
    [InlineData(33)]
    public async Task EncryptAsync_InMemoryAndStream_WriteTheSameFrames(int length)
    {
        var messageId = RandomNumberGenerator.GetBytes(MessageHeader.MessageIdLength);
        var kms = new FixedDataKeyProvider(KeyId, 1, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(40));
        var encryptor = new EnvelopeEncryptor(
            new DefaultCryptoMaterialsManager(new KmsKeyring(kms, KeyId)),
            new EnvelopeEncryptorOptions { FrameLength = 16 },
            () => (byte[])messageId.Clone());
        var plaintext = RandomNumberGenerator.GetBytes(length);
        using var output = new MemoryStream();

        var inMemory = await encryptor.EncryptAsync(plaintext, _context);
        await encryptor.EncryptAsync(new MemoryStream(plaintext), output, _context);

        Assert.Equal(Convert.ToHexString(output.ToArray()), Convert.ToHexString(inMemory));
        Assert.Equal(plaintext, (await encryptor.DecryptAsync(inMemory, _context)).Plaintext);
    }

    [Fact]
    public void ContentKey_Limits_RefuseTheMessageThatWouldExceedThem()
    {
        using var key = ContentKey.Create(new byte[32], EnvelopeAlgorithmSuite.Aes256GcmHkdfSha256, maxMessages: 2, maxBytes: 10);

        Assert.True(key.TryReserve(4, out var first));
        Assert.False(key.TryReserve(7, out _));
        Assert.True(key.TryReserve(6, out var second));
        Assert.False(key.TryReserve(0, out _));
        Assert.Equal((0UL, 1UL), (first, second));
    }

    [Fact]
    public void ContentKey_Disposed_RefusesReservationsAndInstances()
    {
        var key = ContentKey.Create(new byte[32], EnvelopeAlgorithmSuite.Aes256GcmHkdfSha256);
        var rented = key.Rent();
        Assert.NotNull(rented);
        key.Return(rented);

        key.Dispose();

        Assert.False(key.TryReserve(1, out _));
        Assert.Null(key.Rent());
    }

    private static string Salt(byte[] message) => Convert.ToHexString(message.AsSpan(SaltOffset, ContentKey.SaltLength));

    private static ulong MessageNumber(byte[] message) =>
        BinaryPrimitives.ReadUInt64BigEndian(message.AsSpan(SaltOffset + ContentKey.SaltLength, 8));

    private EnvelopeEncryptor CreateEncryptor(DataKeyCache cache) =>
        new(new CachingCryptoMaterialsManager(new KmsKeyring(_kms, KeyId), new DataKeyCacheOptions { MaxAge = TimeSpan.FromHours(1) }, cache));
}

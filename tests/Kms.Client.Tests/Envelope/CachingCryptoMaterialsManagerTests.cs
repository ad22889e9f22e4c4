using System.Security.Cryptography;
using Kms.Client.Envelope;
using Kms.Client.Tests.Envelope.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Client.Tests.Envelope;

public sealed class CachingCryptoMaterialsManagerTests
{
    private const string KeyId = EnvelopeEncryptorRoundTripTests.KeyId;
    private const string OtherKeyId = "7d3c1b9e-2a44-4f0b-8c6d-5e1f0a9b3c27";

    private readonly FakeKmsDataKeyProvider _kms = new();
    private readonly FakeTimeProvider _time = new();
    private readonly Dictionary<string, string> _context = new() { ["tenant"] = "acme" };

    [Fact]
    public async Task EncryptAsync_TenThousandMessagesUnderOneCacheEntry_CostExactlyOneGenerateDataKeyCall()
    {
        var encryptor = CreateEncryptor(Options(maxMessages: 10_000));

        var messages = new List<byte[]>();
        for (var i = 0; i < 10_000; i++)
        {
            messages.Add(await encryptor.EncryptAsync(BitConverter.GetBytes(i), _context));
        }

        Assert.Equal(1, _kms.GenerateCalls);
        Assert.Equal(10_000, messages.Select(Convert.ToHexString).Distinct().Count());
        Assert.Equal(BitConverter.GetBytes(9_999), (await encryptor.DecryptAsync(messages[^1])).Plaintext);
    }

    [Fact]
    public async Task EncryptAsync_MaxMessagesReached_GeneratesANewDataKey()
    {
        var encryptor = CreateEncryptor(Options(maxMessages: 3));

        for (var i = 0; i < 3; i++)
        {
            await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        }

        Assert.Equal(1, _kms.GenerateCalls);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        Assert.Equal(2, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_MaxBytesWouldBeExceeded_GeneratesANewDataKey()
    {
        var encryptor = CreateEncryptor(Options(maxBytes: 100));

        await encryptor.EncryptAsync(new byte[40], _context);
        await encryptor.EncryptAsync(new byte[40], _context);
        Assert.Equal(1, _kms.GenerateCalls);

        await encryptor.EncryptAsync(new byte[40], _context);
        Assert.Equal(2, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_MessageLargerThanMaxBytes_IsNeverCached()
    {
        var encryptor = CreateEncryptor(Options(maxBytes: 10));

        await encryptor.EncryptAsync(new byte[11], _context);
        await encryptor.EncryptAsync(new byte[11], _context);

        Assert.Equal(2, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_MaxAgePassed_GeneratesANewDataKey()
    {
        var encryptor = CreateEncryptor(Options(maxAge: TimeSpan.FromMinutes(5)));

        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        Assert.Equal(1, _kms.GenerateCalls);

        _time.Advance(TimeSpan.FromTicks(1));
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        Assert.Equal(2, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_DifferentContexts_DoNotShareADataKey()
    {
        var encryptor = CreateEncryptor(Options());

        var acme = await encryptor.EncryptAsync(new byte[] { 1 }, new Dictionary<string, string> { ["tenant"] = "acme" });
        var globex = await encryptor.EncryptAsync(new byte[] { 1 }, new Dictionary<string, string> { ["tenant"] = "globex" });
        await encryptor.EncryptAsync(new byte[] { 1 });
        await encryptor.EncryptAsync(new byte[] { 1 }, new Dictionary<string, string> { ["tenant"] = "acme" });

        Assert.Equal(3, _kms.GenerateCalls);
        Assert.Equal(["acme", "globex"], _kms.GenerateRequests.Take(2).Select(r => r.Context["tenant"]));
        Assert.Equal("globex", (await encryptor.DecryptAsync(globex)).EncryptionContext["tenant"]);
        Assert.Equal("acme", (await encryptor.DecryptAsync(acme)).EncryptionContext["tenant"]);
    }

    [Fact]
    public async Task EncryptAsync_SharedCacheSamePartition_SharesTheDataKey()
    {
        using var cache = new DataKeyCache(100, _time);
        var first = CreateEncryptor(Options(partitionId: "orders"), cache);
        var second = CreateEncryptor(Options(partitionId: "orders"), cache);

        await first.EncryptAsync(new byte[] { 1 }, _context);
        await second.EncryptAsync(new byte[] { 1 }, _context);

        Assert.Equal(1, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_SharedCacheDifferentPartitions_DoNotShare()
    {
        using var cache = new DataKeyCache(100, _time);
        var orders = CreateEncryptor(Options(partitionId: "orders"), cache);
        var invoices = CreateEncryptor(Options(partitionId: "invoices"), cache);
        var unnamed = CreateEncryptor(Options(), cache);

        await orders.EncryptAsync(new byte[] { 1 }, _context);
        await invoices.EncryptAsync(new byte[] { 1 }, _context);
        await unnamed.EncryptAsync(new byte[] { 1 }, _context);

        Assert.Equal(3, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_SharedCacheSamePartitionDifferentKeys_DoNotShare()
    {
        using var cache = new DataKeyCache(100, _time);
        var first = CreateEncryptor(Options(partitionId: "p"), cache, KeyId);
        var second = CreateEncryptor(Options(partitionId: "p"), cache, OtherKeyId);

        await first.EncryptAsync(new byte[] { 1 }, _context);
        var message = await second.EncryptAsync(new byte[] { 1 }, _context);

        Assert.Equal(2, _kms.GenerateCalls);
        Assert.Equal(OtherKeyId, (await second.DecryptAsync(message)).KeyId);
    }

    [Fact]
    public async Task EncryptAsync_NonSeekableStream_BypassesTheCache()
    {
        var encryptor = CreateEncryptor(Options());

        await encryptor.EncryptAsync(new NonSeekableStream(new byte[10]), Stream.Null, _context);
        await encryptor.EncryptAsync(new NonSeekableStream(new byte[10]), Stream.Null, _context);
        await encryptor.EncryptAsync(new MemoryStream(new byte[10]), Stream.Null, _context);
        await encryptor.EncryptAsync(new MemoryStream(new byte[10]), Stream.Null, _context);

        Assert.Equal(3, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_EvictKeyVersion_NextMessageGeneratesANewDataKey()
    {
        using var cmm = CreateManager(Options());
        var encryptor = new EnvelopeEncryptor(cmm);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);

        cmm.EvictKeyVersion(KeyId, 2);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        Assert.Equal(1, _kms.GenerateCalls);

        cmm.EvictKeyVersion(KeyId, 1);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        Assert.Equal(2, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_EvictKey_NextMessageGeneratesANewDataKey()
    {
        using var cmm = CreateManager(Options());
        var encryptor = new EnvelopeEncryptor(cmm);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);

        cmm.EvictKey(OtherKeyId);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        Assert.Equal(1, _kms.GenerateCalls);

        cmm.EvictKey(KeyId);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        Assert.Equal(2, _kms.GenerateCalls);
    }

    [Fact]
    public async Task EncryptAsync_EvictionWhileTheKmsIsAsked_KeyIsUsedOnceButNotCached()
    {
        using var cmm = CreateManager(Options());
        var encryptor = new EnvelopeEncryptor(cmm);
        _kms.OnGenerate = () => cmm.EvictKey(KeyId);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);

        _kms.OnGenerate = null;
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);
        await encryptor.EncryptAsync(new byte[] { 1 }, _context);

        Assert.Equal(2, _kms.GenerateCalls);
    }

    [Fact]
    public async Task DecryptAsync_CacheHit_DoesNotCallTheKms()
    {
        var encryptor = CreateEncryptor(Options());
        var message = await encryptor.EncryptAsync(new byte[] { 7 }, _context);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal([7], (await encryptor.DecryptAsync(message)).Plaintext);
        }

        Assert.Equal(1, _kms.DecryptCalls);
    }

    [Fact]
    public async Task DecryptAsync_MaxAgePassed_CallsTheKmsAgain()
    {
        var encryptor = CreateEncryptor(Options(maxAge: TimeSpan.FromMinutes(1)));
        var message = await encryptor.EncryptAsync(new byte[] { 7 }, _context);
        await encryptor.DecryptAsync(message);

        _time.Advance(TimeSpan.FromMinutes(1));
        await encryptor.DecryptAsync(message);

        Assert.Equal(2, _kms.DecryptCalls);
    }

    [Fact]
    public async Task DecryptAsync_EvictKeyVersion_NextDecryptCallsTheKmsAgain()
    {
        using var cmm = CreateManager(Options());
        var encryptor = new EnvelopeEncryptor(cmm);
        var message = await encryptor.EncryptAsync(new byte[] { 7 }, _context);
        await encryptor.DecryptAsync(message);
        await encryptor.DecryptAsync(message);
        Assert.Equal(1, _kms.DecryptCalls);

        cmm.EvictKeyVersion(KeyId, 1);
        await encryptor.DecryptAsync(message);

        Assert.Equal(2, _kms.DecryptCalls);
    }

    [Fact]
    public async Task DecryptAsync_EvictKeyVersionOfAnotherVersion_KeepsTheEntry()
    {
        using var cmm = CreateManager(Options());
        var encryptor = new EnvelopeEncryptor(cmm);
        _kms.CurrentVersion = 3;
        var message = await encryptor.EncryptAsync(new byte[] { 7 }, _context);
        await encryptor.DecryptAsync(message);

        cmm.EvictKeyVersion(KeyId, 2);
        var result = await encryptor.DecryptAsync(message);

        Assert.Equal(1, _kms.DecryptCalls);
        Assert.Equal(3, result.KeyVersion);
    }

    [Fact]
    public async Task DecryptAsync_WrongKeyIdInKmsAnswer_IsNotCached()
    {
        var encryptor = CreateEncryptor(Options());
        var message = await encryptor.EncryptAsync(new byte[] { 7 }, _context);
        _kms.DecryptAnswerKeyId = OtherKeyId;

        await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => encryptor.DecryptAsync(message));
        _kms.DecryptAnswerKeyId = null;
        await encryptor.DecryptAsync(message);

        Assert.Equal(2, _kms.DecryptCalls);
    }

    [Fact]
    public async Task EncryptAndDecryptAsync_ManyThreads_AllMessagesRoundTrip()
    {
        var encryptor = CreateEncryptor(Options(maxMessages: 50));

        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var plaintext = RandomNumberGenerator.GetBytes(1 + (i % 64));
            var context = new Dictionary<string, string> { ["tenant"] = $"t{i % 4}" };
            var message = await encryptor.EncryptAsync(plaintext, context);
            var decrypted = (await encryptor.DecryptAsync(message, context)).Plaintext;
            return plaintext.AsSpan().SequenceEqual(decrypted);
        })));

        Assert.All(results, Assert.True);
        Assert.InRange(_kms.GenerateCalls, 8, 400);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_MaxAgeNotPositive_Throws(int seconds)
    {
        var options = new DataKeyCacheOptions { MaxAge = TimeSpan.FromSeconds(seconds) };

        Assert.Throws<ArgumentOutOfRangeException>(() => new CachingCryptoMaterialsManager(new KmsKeyring(_kms, KeyId), options));
    }

    [Fact]
    public void Constructor_MaxAgeMissingFromBoundOptions_Throws()
    {
        // What a configuration binder leaves behind when the setting is absent.
        var options = (DataKeyCacheOptions)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(DataKeyCacheOptions));
        options.Capacity = 10;
        options.MaxMessagesEncrypted = 10;
        options.MaxBytesEncrypted = 10;

        Assert.Throws<ArgumentOutOfRangeException>(() => new CachingCryptoMaterialsManager(new KmsKeyring(_kms, KeyId), options));
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 0, 1)]
    [InlineData(1, 1, 0)]
    public void Constructor_LimitsNotPositive_Throw(long maxMessages, long maxBytes, int capacity)
    {
        var options = new DataKeyCacheOptions { MaxAge = TimeSpan.FromMinutes(1), MaxMessagesEncrypted = maxMessages, MaxBytesEncrypted = maxBytes, Capacity = capacity };

        Assert.Throws<ArgumentOutOfRangeException>(() => new CachingCryptoMaterialsManager(new KmsKeyring(_kms, KeyId), options));
    }

    private static DataKeyCacheOptions Options(
        TimeSpan? maxAge = null, long maxMessages = 1L << 32, long maxBytes = long.MaxValue, string? partitionId = null) =>
        new()
        {
            MaxAge = maxAge ?? TimeSpan.FromHours(1),
            MaxMessagesEncrypted = maxMessages,
            MaxBytesEncrypted = maxBytes,
            PartitionId = partitionId,
        };

    private CachingCryptoMaterialsManager CreateManager(DataKeyCacheOptions options, DataKeyCache? cache = null, string keyId = KeyId) =>
        cache is null
            ? new CachingCryptoMaterialsManager(new KmsKeyring(_kms, keyId), options, _time)
            : new CachingCryptoMaterialsManager(new KmsKeyring(_kms, keyId), options, cache);

    private EnvelopeEncryptor CreateEncryptor(DataKeyCacheOptions options, DataKeyCache? cache = null, string keyId = KeyId) =>
        new(CreateManager(options, cache, keyId));
}

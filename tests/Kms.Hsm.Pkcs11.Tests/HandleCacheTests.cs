using System.Security.Cryptography;
using Kms.Core;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>Unwrapped handles on the real token: one per key version, dropped by Evict, unwrapped again on next use.</summary>
[Collection(SessionObjectCountCollection.Name)]
public sealed class HandleCacheTests
{
    private readonly SoftHsmFixture _fixture;

    public HandleCacheTests(SoftHsmFixture fixture) => _fixture = fixture;

    [Fact]
    public void Use_Repeatedly_UnwrapsOnce()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var before = _fixture.SessionObjects().Count;

        for (var i = 0; i < 20; i++)
        {
            _fixture.Hsm.EncryptAesGcm(key, RandomNumberGenerator.GetBytes(12), [], [1, 2, 3]);
        }

        Assert.Equal(before + 1, _fixture.SessionObjects().Count);
    }

    [Fact]
    public void Evict_Key_DestroysHandleAndNextUseUnwrapsAgain()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var iv = RandomNumberGenerator.GetBytes(12);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, iv, [], [1, 2, 3]);
        var cached = _fixture.SessionObjects();

        _fixture.Hsm.Evict(key.KeyId);
        var afterEvict = _fixture.SessionObjects();
        var opened = _fixture.Hsm.DecryptAesGcm(key, iv, [], sealedData);
        var afterReuse = _fixture.SessionObjects();

        Assert.Equal(cached.Count - 1, afterEvict.Count);
        Assert.Equal([1, 2, 3], opened);
        Assert.Equal(cached.Count, afterReuse.Count);
        // A new object, not the destroyed one come back.
        Assert.Single(afterReuse.Except(cached));
    }

    [Fact]
    public void Evict_OneVersion_KeepsTheOthers()
    {
        var keyId = Guid.NewGuid().ToString();
        var material = _fixture.Material(KeySpec.HmacSha256);
        var v1 = SoftHsmFixture.RefTo(KeySpec.HmacSha256, material, keyId, 1);
        var v2 = SoftHsmFixture.RefTo(KeySpec.HmacSha256, material, keyId, 2);
        _fixture.Hsm.Mac(v1, [1]);
        _fixture.Hsm.Mac(v2, [1]);
        var both = _fixture.SessionObjects().Count;

        _fixture.Hsm.Evict(keyId, 1);
        var oneLeft = _fixture.SessionObjects().Count;
        _fixture.Hsm.Mac(v2, [1]);
        var stillOne = _fixture.SessionObjects().Count;
        _fixture.Hsm.Evict(keyId);
        var none = _fixture.SessionObjects().Count;

        Assert.Equal(both - 1, oneLeft);
        Assert.Equal(oneLeft, stillOne);
        Assert.Equal(both - 2, none);
    }

    [Fact]
    public async Task Use_ConcurrentMissesForOneKey_UnwrapOnce()
    {
        var key = _fixture.FreshRef(KeySpec.Rsa2048);
        using var start = new Barrier(16);

        var tasks = Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return _fixture.Hsm.SignDigest(key, SigningAlgorithm.RsassaPkcs1V15Sha256, new byte[32]);
        }, TaskCreationOptions.LongRunning)).ToArray();
        var signatures = await Task.WhenAll(tasks);

        // Counts this key's unwraps (event 2008), not the token's session objects: every connector in the test
        // process shares that count, and a full run once saw it off by one while this key was unwrapped once
        // (300 rounds of this test alone never reproduced it).
        Assert.Single(_fixture.Logger.Events, e => e.EventId == 2008 && e.Message.Contains(key.KeyId, StringComparison.Ordinal));
        // PKCS#1 v1.5 is deterministic: every caller used the same key.
        Assert.Single(signatures.Select(Convert.ToHexString).Distinct());
    }
}

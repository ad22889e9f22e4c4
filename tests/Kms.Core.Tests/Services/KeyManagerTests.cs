using Kms.Core.Errors;
using Kms.Core.Services;

namespace Kms.Core.Tests.Services;

public sealed class KeyManagerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(KeySpec.Aes256, KeyUsage.EncryptDecrypt)]
    [InlineData(KeySpec.HmacSha256, KeyUsage.GenerateVerifyMac)]
    [InlineData(KeySpec.Rsa3072, KeyUsage.SignVerify)]
    [InlineData(KeySpec.EcP384, KeyUsage.SignVerify)]
    public async Task CreateKey_NoUsage_DefaultsFromSpec(KeySpec spec, KeyUsage usage)
    {
        var f = new ServiceFixture();

        var created = await f.Keys.CreateKeyAsync(new CreateKeyCommand(spec), None);

        Assert.Equal(usage, created.Key.Usage);
        Assert.Equal(1, created.Key.PrimaryVersion);
        Assert.Equal(KeyState.Enabled, created.Key.State);
    }

    [Fact]
    public async Task CreateKey_IncompatibleUsage_ValidationFailed()
    {
        var f = new ServiceFixture();

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.CreateKeyAsync(new CreateKeyCommand(KeySpec.Aes256, KeyUsage.SignVerify), None));

        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
    }

    [Fact]
    public async Task CreateKey_TakenAlias_AliasAlreadyExists_NoKeyCreated()
    {
        var f = new ServiceFixture();
        await f.CreateKeyAsync(KeySpec.Aes256, "orders");

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.CreateKeyAsync(new CreateKeyCommand(KeySpec.Aes256, Alias: "orders"), None));

        Assert.Equal(KmsErrorCodes.AliasAlreadyExists, e.Code);
        Assert.Single((await f.Keys.ListKeysAsync(null, null, None)).Items);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has/slash")]
    [InlineData("trailing-newline\n")]
    [InlineData("0b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80")]
    public async Task SetAlias_InvalidName_ValidationFailed(string alias)
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.SetAliasAsync(alias, keyId, None));

        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
    }

    [Fact]
    public async Task SetAlias_Repoint_ResolvesToNewKeyAtOnce()
    {
        var f = new ServiceFixture();
        var first = await f.CreateKeyAsync(KeySpec.Aes256, "current");
        var second = await f.CreateKeyAsync(KeySpec.Aes256);
        Assert.Equal(first, (await f.Catalog.ResolveAsync("current", None)).KeyId);

        var (_, created) = await f.Keys.SetAliasAsync("current", second, None);

        Assert.False(created);
        Assert.Equal(second, (await f.Catalog.ResolveAsync("current", None)).KeyId);
    }

    [Fact]
    public async Task DeleteAlias_Missing_AliasNotFound()
    {
        var f = new ServiceFixture();

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.DeleteAliasAsync("nope", None));

        Assert.Equal(KmsErrorCodes.AliasNotFound, e.Code);
    }

    [Fact]
    public async Task Rotate_IncrementsVersions_KeepsHistory()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.HmacSha256);

        await f.Keys.RotateAsync(keyId, None);
        var (key, version) = await f.Keys.RotateAsync(keyId, None);

        Assert.Equal(3, version.Version);
        Assert.Equal(3, key.PrimaryVersion);
        Assert.Equal([1, 2, 3], (await f.Keys.ListVersionsAsync(keyId, None)).Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task SetKeyState_UnknownKey_KeyNotFound()
    {
        var f = new ServiceFixture();

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.SetKeyStateAsync(Guid.NewGuid().ToString(), KeyState.Disabled, None));

        Assert.Equal(KmsErrorCodes.KeyNotFound, e.Code);
    }

    [Fact]
    public async Task Catalog_WithinTtl_ServesFromCache_AfterTtl_ReadsAgain()
    {
        var f = new ServiceFixture(new KmsOptions { MetadataCacheTtl = TimeSpan.FromSeconds(2) });
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Catalog.GetKeyAsync(keyId, None);
        var reads = f.Store.KeyReads;

        await f.Catalog.GetKeyAsync(keyId, None);
        var cachedReads = f.Store.KeyReads;
        f.Time.Advance(TimeSpan.FromSeconds(3));
        await f.Catalog.GetKeyAsync(keyId, None);

        Assert.Equal(reads, cachedReads);
        Assert.Equal(reads + 1, f.Store.KeyReads);
    }

    [Fact]
    public async Task ListKeys_PageSizeOutOfRange_ValidationFailed()
    {
        var f = new ServiceFixture();

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.ListKeysAsync(0, null, None));

        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
    }
}

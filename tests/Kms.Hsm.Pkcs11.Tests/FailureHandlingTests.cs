using System.Security.Cryptography;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Testing;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>Failures reach callers as KmsExceptions without PKCS#11 codes, and lost sessions heal without a restart.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class FailureHandlingTests
{
    private readonly SoftHsmFixture _fixture;

    public FailureHandlingTests(SoftHsmFixture fixture) => _fixture = fixture;

    [Fact]
    public void Use_AfterEverySessionWasClosed_RecoversWithoutRestart()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var iv = RandomNumberGenerator.GetBytes(12);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, iv, [], [7, 7, 7]);

        // What a token reset or another component's C_CloseAllSessions does: every session, the login
        // and every unwrapped object of this process are gone.
        var lostBefore = _fixture.Logger.Events.Count(e => e.EventId == 2006);
        _fixture.Slot().CloseAllSessions();

        Assert.Equal([7, 7, 7], _fixture.Hsm.DecryptAesGcm(key, iv, [], sealedData));
        Assert.True(_fixture.Hsm.CheckHealth().Healthy);
        // The loss was noticed and logged server-side (with its return code), not hidden by luck.
        var lost = _fixture.Logger.Events.Where(e => e.EventId == 2006).Skip(lostBefore).ToList();
        Assert.NotEmpty(lost);
        Assert.Contains("CKR_", lost[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckHealth_AfterEverySessionWasClosed_ReconnectsAndReportsOk()
    {
        _fixture.Hsm.GenerateRandom(8);
        _fixture.Slot().CloseAllSessions();

        var health = _fixture.Hsm.CheckHealth();

        Assert.True(health.Healthy);
        Assert.Equal("ok", health.Status);
    }

    [Fact]
    public void CheckHealth_Connected_ReportsOk()
    {
        var health = _fixture.Hsm.CheckHealth();

        Assert.True(health.Healthy);
        Assert.Equal("ok", health.Status);
    }

    [Fact]
    public void CheckHealth_UnknownToken_ReportsUnavailableWithoutCodes()
    {
        using var hsm = new Pkcs11Hsm(_fixture.OptionsWith(o => o.TokenLabel = LocalStack.UniqueName("no-such-token-")));

        var health = hsm.CheckHealth();

        Assert.False(health.Healthy);
        Assert.Equal("unavailable", health.Status);
        Assert.DoesNotContain("CKR_", health.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckHealth_MissingRootKey_ReportsUnavailable()
    {
        using var hsm = new Pkcs11Hsm(_fixture.OptionsWith(o => o.RootKeyLabel = LocalStack.UniqueName("kms-missing-")));

        var health = hsm.CheckHealth();

        Assert.False(health.Healthy);
        Assert.Contains("Root key", health.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckHealth_WrongLibraryPath_ReportsUnavailable()
    {
        using var hsm = new Pkcs11Hsm(_fixture.OptionsWith(o => o.LibraryPath = "/nonexistent/libpkcs11.so"));

        Assert.False(hsm.CheckHealth().Healthy);
        var ex = Assert.Throws<KmsException>(() => hsm.GenerateRandom(8));
        Assert.Equal(KmsErrorCodes.HsmUnavailable, ex.Code);
    }

    [Fact]
    public void GenerateKey_UnknownToken_ThrowsRetryableHsmUnavailable()
    {
        using var hsm = new Pkcs11Hsm(_fixture.OptionsWith(o => o.TokenLabel = LocalStack.UniqueName("no-such-token-")));

        var ex = Assert.Throws<KmsException>(() => hsm.GenerateKey(KeySpec.Aes256));

        Assert.Equal(KmsErrorCodes.HsmUnavailable, ex.Code);
        Assert.Equal(KmsErrorKind.Unavailable, ex.Kind);
        Assert.NotNull(ex.RetryAfterSeconds);
    }

    public static TheoryData<string> FailingCalls =>
    [
        "garbage-blob", "truncated-blob", "empty-blob", "missing-root", "tampered-ciphertext", "wrong-spec-blob", "unknown-token",
    ];

    [Theory]
    [MemberData(nameof(FailingCalls))]
    public void FailingCall_Any_RaisesKmsExceptionWithoutReturnCodes(string scenario)
    {
        var aes = _fixture.Material(KeySpec.Aes256);
        var iv = new byte[12];
        Action call = scenario switch
        {
            "garbage-blob" => () => _fixture.Hsm.EncryptAesGcm(Ref(KeySpec.Aes256, RandomNumberGenerator.GetBytes(40), aes.RootKeyLabel), iv, [], [1]),
            "truncated-blob" => () => _fixture.Hsm.Mac(Ref(KeySpec.HmacSha256, aes.WrappedMaterial[..20], aes.RootKeyLabel), [1]),
            "empty-blob" => () => _fixture.Hsm.Mac(Ref(KeySpec.HmacSha256, [], aes.RootKeyLabel), [1]),
            "missing-root" => () => _fixture.Hsm.EncryptAesGcm(Ref(KeySpec.Aes256, aes.WrappedMaterial, "no-such-root"), iv, [], [1]),
            "tampered-ciphertext" => () => _fixture.Hsm.DecryptAesGcm(_fixture.FreshRef(KeySpec.Aes256), iv, [], new byte[32]),
            // An AES blob claimed to be an EC private key: the unwrap must fail cleanly, not hand out a bogus key.
            "wrong-spec-blob" => () => _fixture.Hsm.SignDigest(Ref(KeySpec.EcP256, aes.WrappedMaterial, aes.RootKeyLabel), SigningAlgorithm.EcdsaSha256, new byte[32]),
            _ => () =>
            {
                using var hsm = new Pkcs11Hsm(_fixture.OptionsWith(o => o.TokenLabel = "absent-token"));
                hsm.GenerateRandom(1);
            },
        };

        var ex = Assert.ThrowsAny<Exception>(call);

        var kms = Assert.IsType<KmsException>(ex);
        Assert.DoesNotContain("CKR_", kms.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("CKR_", kms.ToString(), StringComparison.Ordinal);
        Assert.Null(kms.InnerException);
    }

    private static HsmKeyRef Ref(KeySpec spec, byte[] wrapped, string rootKeyLabel) =>
        new(Guid.NewGuid().ToString(), 1, spec, wrapped, rootKeyLabel);
}

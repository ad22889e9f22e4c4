using System.Security.Cryptography;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Hsm.Pkcs11.Internal;
using Kms.Testing;
using Net.Pkcs11Interop.Common;

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
    public void FindSlot_AnotherTokenOfTheModuleBroken_SkipsItAndTheConnectorStillWorks()
    {
        // A second token of the same module whose files vanish (a partition taken away): SoftHSM 2.6 then answers
        // C_GetTokenInfo for its slot with CKR_GENERAL_ERROR for the rest of the process's life.
        var library = Pkcs11Runtime.GetLibrary(_fixture.Options.LibraryPath);
        var tokens = TokenFolder();
        var before = Directory.GetDirectories(tokens).ToHashSet(StringComparer.Ordinal);
        var free = library.GetSlotList(SlotsType.WithTokenPresent).First(s => !s.GetTokenInfo().TokenFlags.TokenInitialized);
        var label = LocalStack.UniqueName("broken-");
        free.InitToken("broken-so-0000", label);
        var created = Assert.Single(Directory.GetDirectories(tokens), d => !before.Contains(d));
        Directory.Delete(created, recursive: true);
        Assert.Contains(library.GetSlotList(SlotsType.WithTokenPresent), s => Throws(() => s.GetTokenInfo()));

        // Looking past it: a label no token has is simply not found, and a fresh connector finds and uses its own token.
        Assert.Null(TokenConnection.FindSlot(library, LocalStack.UniqueName("no-such-token-")));
        Assert.Null(TokenConnection.FindSlot(library, label));
        using var hsm = new Pkcs11Hsm(_fixture.Options);
        Assert.Equal(8, hsm.GenerateRandom(8).Length);
        Assert.True(hsm.CheckHealth().Healthy);
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

    /// <summary>The token folder of the stack's SoftHSM2 (directories.tokendir in the file SOFTHSM2_CONF names).</summary>
    private static string TokenFolder()
    {
        var config = Environment.GetEnvironmentVariable("SOFTHSM2_CONF") ?? throw new InvalidOperationException("SOFTHSM2_CONF is not set.");
        var line = File.ReadLines(config).Select(l => l.Trim()).First(l => l.StartsWith("directories.tokendir", StringComparison.Ordinal));
        return line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static bool Throws(Action action)
    {
        try
        {
            action();
            return false;
        }
        catch (Pkcs11Exception)
        {
            return true;
        }
    }

    private static HsmKeyRef Ref(KeySpec spec, byte[] wrapped, string rootKeyLabel) =>
        new(Guid.NewGuid().ToString(), 1, spec, wrapped, rootKeyLabel);
}

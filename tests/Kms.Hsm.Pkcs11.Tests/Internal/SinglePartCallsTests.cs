using System.Security.Cryptography;
using Kms.Hsm.Pkcs11.Internal;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Tests.Internal;

/// <summary>
/// The connector's one-call encrypt, decrypt and sign against SoftHSM2, checked with .NET's own AES-GCM and HMAC on
/// the same key value: a session key object made from known bytes, so an independent implementation can verify what
/// the module produced through these calls (the IV, AAD and tag lengths handed over on the stack).
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class SinglePartCallsTests : IDisposable
{
    private const int TagBytes = 16;
    private readonly SinglePartCalls _calls;
    private readonly ISession _session;
    private readonly byte[] _keyValue = RandomNumberGenerator.GetBytes(32);
    private readonly List<IObjectHandle> _objects = [];

    public SinglePartCallsTests(SoftHsmFixture fixture)
    {
        _calls = Pkcs11Runtime.GetSinglePartCalls(fixture.Options.LibraryPath)
            ?? throw new InvalidOperationException("The tests run on 64-bit Linux, where the single-part calls exist.");
        _session = fixture.OpenSession();
    }

    public static TheoryData<int> PlaintextLengths => [1, 15, 16, 1024, 65_537];

    [Theory]
    [MemberData(nameof(PlaintextLengths))]
    public void EncryptGcm_DecryptsWithDotNetAesGcm(int length)
    {
        var (iv, aad, plaintext) = Inputs(length);

        var sealedData = _calls.EncryptGcm(_session, SecretKey(CKK.CKK_AES), iv, aad, TagBytes, (byte[])plaintext.Clone());

        Assert.Equal(length + TagBytes, sealedData.Length);
        var opened = new byte[length];
        using var aes = new AesGcm(_keyValue, TagBytes);
        aes.Decrypt(iv, sealedData.AsSpan(0, length), sealedData.AsSpan(length), opened, aad);
        Assert.Equal(plaintext, opened);
    }

    [Theory]
    [MemberData(nameof(PlaintextLengths))]
    public void DecryptGcm_OpensWhatDotNetAesGcmSealed(int length)
    {
        var (iv, aad, plaintext) = Inputs(length);
        var sealedData = new byte[length + TagBytes];
        using (var aes = new AesGcm(_keyValue, TagBytes))
        {
            aes.Encrypt(iv, plaintext, sealedData.AsSpan(0, length), sealedData.AsSpan(length), aad);
        }

        var opened = _calls.DecryptGcm(_session, SecretKey(CKK.CKK_AES), iv, aad, TagBytes, sealedData);

        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void EncryptAndDecrypt_OutputGuessTooSmall_AskTheModuleAgainAndStillAnswer()
    {
        // CKR_BUFFER_TOO_SMALL leaves the operation active with the length it needs: the second call uses that length.
        var (iv, aad, plaintext) = Inputs(100);
        var key = SecretKey(CKK.CKK_AES);

        var sealedData = _calls.EncryptGcm(_session, key, iv, aad, TagBytes, (byte[])plaintext.Clone(), outputLength: 1);
        var opened = _calls.DecryptGcm(_session, key, iv, aad, TagBytes, sealedData, outputLength: 1);

        Assert.Equal(100 + TagBytes, sealedData.Length);
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void DecryptGcm_OtherAad_ThrowsPkcs11ExceptionAndTheSessionStaysUsable()
    {
        var (iv, aad, plaintext) = Inputs(64);
        var key = SecretKey(CKK.CKK_AES);
        var sealedData = _calls.EncryptGcm(_session, key, iv, aad, TagBytes, plaintext);
        var otherAad = (byte[])aad.Clone();
        otherAad[0] ^= 1;

        var failure = Assert.Throws<Pkcs11Exception>(() => _calls.DecryptGcm(_session, key, iv, otherAad, TagBytes, sealedData));

        Assert.Equal("C_Decrypt", failure.Method);
        Assert.Equal(64, _calls.DecryptGcm(_session, key, iv, aad, TagBytes, sealedData).Length);
    }

    [Fact]
    public void Sign_Hmac_EqualsDotNetHmacSha256()
    {
        var message = RandomNumberGenerator.GetBytes(300);

        var mac = _calls.Sign(_session, SecretKey(CKK.CKK_GENERIC_SECRET), CKM.CKM_SHA256_HMAC, message, 32);

        Assert.Equal(HMACSHA256.HashData(_keyValue, message), mac);
    }

    public void Dispose()
    {
        foreach (var handle in _objects)
        {
            _session.DestroyObject(handle);
        }

        _session.Dispose();
    }

    private static (byte[] Iv, byte[] Aad, byte[] Plaintext) Inputs(int length) =>
        (RandomNumberGenerator.GetBytes(12), RandomNumberGenerator.GetBytes(57), RandomNumberGenerator.GetBytes(length));

    /// <summary>A session key object holding <see cref="_keyValue"/>, destroyed with the test.</summary>
    private IObjectHandle SecretKey(CKK type)
    {
        var factory = _session.Factories.ObjectAttributeFactory;
        var attributes = new List<IObjectAttribute>
        {
            factory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            factory.Create(CKA.CKA_KEY_TYPE, type),
            factory.Create(CKA.CKA_TOKEN, false),
            factory.Create(CKA.CKA_VALUE, _keyValue),
            factory.Create(CKA.CKA_ENCRYPT, true),
            factory.Create(CKA.CKA_DECRYPT, true),
            factory.Create(CKA.CKA_SIGN, true),
        };
        try
        {
            var handle = _session.CreateObject(attributes);
            _objects.Add(handle);
            return handle;
        }
        finally
        {
            attributes.ForEach(a => a.Dispose());
        }
    }
}

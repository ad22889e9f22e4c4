using System.Security.Cryptography;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Hsm.Pkcs11.Internal;
using Kms.Testing;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>Key material stays inside the HSM: readable by nobody, and useless outside its root key.</summary>
[Collection(SessionObjectCountCollection.Name)]
public sealed class KeyProtectionTests
{
    private readonly SoftHsmFixture _fixture;

    public KeyProtectionTests(SoftHsmFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(KeySpec.Aes256, CKA.CKA_VALUE)]
    [InlineData(KeySpec.HmacSha256, CKA.CKA_VALUE)]
    [InlineData(KeySpec.Rsa2048, CKA.CKA_PRIVATE_EXPONENT)]
    [InlineData(KeySpec.EcP256, CKA.CKA_VALUE)]
    public void Use_UnwrappedObject_IsSensitiveNonExtractableAndUnreadable(KeySpec spec, CKA secretAttribute)
    {
        var key = _fixture.FreshRef(spec);
        var before = _fixture.SessionObjects();

        Use(key);

        // The object the connector unwrapped, as anyone else in the process would see it.
        var created = Assert.Single(_fixture.SessionObjects().Except(before));
        using var session = _fixture.OpenSession();
        var handle = session.Factories.ObjectHandleFactory.Create(created);
        using var values = new AttributeValues(session, handle, secretAttribute, CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_TOKEN);
        Assert.Null(values.Bytes(secretAttribute));
        Assert.True(values.Bool(CKA.CKA_SENSITIVE));
        Assert.False(values.Bool(CKA.CKA_EXTRACTABLE));
        Assert.False(values.Bool(CKA.CKA_TOKEN));

        // Not even the root key can take it out again.
        using var wrap = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD);
        var root = _fixture.FindRootKey(session, key.RootKeyLabel);
        var refused = Assert.Throws<Pkcs11Exception>(() => session.WrapKey(wrap, root, handle));
        Assert.Equal(CKR.CKR_KEY_UNEXTRACTABLE, refused.RV);
    }

    [Fact]
    public void RootKey_Attributes_NonExtractableSensitiveWrapOnlyTokenObject()
    {
        using var session = _fixture.OpenSession();
        var root = _fixture.FindRootKey(session, _fixture.Options.RootKeyLabel);

        using var values = new AttributeValues(session, root, CKA.CKA_VALUE, CKA.CKA_KEY_TYPE, CKA.CKA_TOKEN, CKA.CKA_PRIVATE,
            CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_WRAP, CKA.CKA_UNWRAP, CKA.CKA_ENCRYPT, CKA.CKA_DECRYPT);
        Assert.Null(values.Bytes(CKA.CKA_VALUE));
        Assert.Equal((ulong)CKK.CKK_AES, values.ULong(CKA.CKA_KEY_TYPE));
        Assert.True(values.Bool(CKA.CKA_TOKEN));
        Assert.True(values.Bool(CKA.CKA_PRIVATE));
        Assert.True(values.Bool(CKA.CKA_SENSITIVE));
        Assert.False(values.Bool(CKA.CKA_EXTRACTABLE));
        Assert.True(values.Bool(CKA.CKA_NEVER_EXTRACTABLE));
        Assert.True(values.Bool(CKA.CKA_WRAP));
        Assert.True(values.Bool(CKA.CKA_UNWRAP));
        Assert.False(values.Bool(CKA.CKA_ENCRYPT));
        Assert.False(values.Bool(CKA.CKA_DECRYPT));
    }

    [Fact]
    public void EnsureRootKey_SecondCall_CreatesNothing()
    {
        Assert.False(RootKeyCeremony.EnsureRootKey(_fixture.Options));

        using var session = _fixture.OpenSession();
        _fixture.FindRootKey(session, _fixture.Options.RootKeyLabel);
    }

    [Fact]
    public void EnsureRootKey_NewLabel_CreatesOnceThenFindsIt()
    {
        var options = _fixture.OptionsWith(o => o.RootKeyLabel = LocalStack.UniqueName("kms-root-"));
        try
        {
            Assert.True(RootKeyCeremony.EnsureRootKey(options));
            Assert.False(RootKeyCeremony.EnsureRootKey(options));
            using var session = _fixture.OpenSession();
            _fixture.FindRootKey(session, options.RootKeyLabel);
        }
        finally
        {
            _fixture.DestroyRootKey(options.RootKeyLabel);
        }
    }

    [Fact]
    public void EnsureRootKey_LabelHeldByExtractableKey_RefusesIt()
    {
        var label = LocalStack.UniqueName("kms-weak-");
        using (var session = _fixture.OpenSession())
        {
            using var template = new Template(session.Factories.ObjectAttributeFactory)
                .Add(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY).Add(CKA.CKA_KEY_TYPE, CKK.CKK_AES).Add(CKA.CKA_VALUE_LEN, 32UL)
                .Add(CKA.CKA_LABEL, label).Add(CKA.CKA_TOKEN, true).Add(CKA.CKA_PRIVATE, true)
                .Add(CKA.CKA_SENSITIVE, false).Add(CKA.CKA_EXTRACTABLE, true).Add(CKA.CKA_WRAP, true).Add(CKA.CKA_UNWRAP, true);
            using var generate = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN);
            session.GenerateKey(generate, template.Attributes);
        }

        try
        {
            Assert.Throws<InvalidOperationException>(() => RootKeyCeremony.EnsureRootKey(_fixture.OptionsWith(o => o.RootKeyLabel = label)));
        }
        finally
        {
            _fixture.DestroyRootKey(label);
        }
    }

    [Fact]
    public void EnsureRootKey_UnknownToken_ThrowsHsmUnavailable()
    {
        var ex = Assert.Throws<KmsException>(() =>
            RootKeyCeremony.EnsureRootKey(_fixture.OptionsWith(o => o.TokenLabel = LocalStack.UniqueName("no-such-token-"))));

        Assert.Equal(KmsErrorCodes.HsmUnavailable, ex.Code);
    }

    [Fact]
    public void WrappedBlob_UnwrapUnderOtherAesKey_Fails()
    {
        var wrapped = _fixture.Material(KeySpec.Aes256).WrappedMaterial;
        using var session = _fixture.OpenSession();
        var factories = session.Factories;
        using var otherTemplate = new Template(factories.ObjectAttributeFactory)
            .Add(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY).Add(CKA.CKA_KEY_TYPE, CKK.CKK_AES).Add(CKA.CKA_VALUE_LEN, 32UL)
            .Add(CKA.CKA_TOKEN, false).Add(CKA.CKA_UNWRAP, true).Add(CKA.CKA_WRAP, true);
        using var generate = factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN);
        var otherKey = session.GenerateKey(generate, otherTemplate.Attributes);
        using var unwrapTemplate = KeyTemplates.KeyToUnwrap(factories.ObjectAttributeFactory, KeySpec.Aes256);
        using var unwrap = factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD);

        Assert.Throws<Pkcs11Exception>(() => session.UnwrapKey(unwrap, otherKey, wrapped, unwrapTemplate.Attributes));
    }

    [Fact]
    public void Use_BlobNamedUnderAnotherRoot_ThrowsKmsExceptionWithoutCodes()
    {
        var options = _fixture.OptionsWith(o => o.RootKeyLabel = LocalStack.UniqueName("kms-root-"));
        Assert.True(RootKeyCeremony.EnsureRootKey(options));
        try
        {
            using var other = new Pkcs11Hsm(options);
            var material = _fixture.Material(KeySpec.Aes256);
            // The same blob, claimed to be wrapped under the other root: the integrity check of the key wrap fails.
            var misattributed = new Kms.Core.Ports.HsmKeyRef(Guid.NewGuid().ToString(), 1, KeySpec.Aes256, material.WrappedMaterial, options.RootKeyLabel);

            var ex = Assert.Throws<KmsException>(() => other.EncryptAesGcm(misattributed, new byte[12], [], [1, 2, 3]));

            Assert.Equal(KmsErrorCodes.HsmUnavailable, ex.Code);
            Assert.DoesNotContain("CKR_", ex.ToString(), StringComparison.Ordinal);
            // Keys the other connector generates are equally useless under the first root.
            var foreign = other.GenerateKey(KeySpec.Aes256);
            Assert.Equal(options.RootKeyLabel, foreign.RootKeyLabel);
            var swapped = SoftHsmFixture.RefTo(KeySpec.Aes256, foreign with { RootKeyLabel = _fixture.Options.RootKeyLabel }, Guid.NewGuid().ToString());
            Assert.Throws<KmsException>(() => _fixture.Hsm.EncryptAesGcm(swapped, new byte[12], [], [1, 2, 3]));
        }
        finally
        {
            _fixture.DestroyRootKey(options.RootKeyLabel);
        }
    }

    [Fact]
    public void GenerateKey_RootKeyMissing_ThrowsHsmUnavailableAndCreatesNoRoot()
    {
        var options = _fixture.OptionsWith(o => o.RootKeyLabel = LocalStack.UniqueName("kms-missing-"));
        using var hsm = new Pkcs11Hsm(options);

        var ex = Assert.Throws<KmsException>(() => hsm.GenerateKey(KeySpec.Aes256));

        Assert.Equal(KmsErrorCodes.HsmUnavailable, ex.Code);
        using var session = _fixture.OpenSession();
        using var search = KeyTemplates.RootKeySearch(session.Factories.ObjectAttributeFactory, options.RootKeyLabel);
        Assert.Empty(session.FindAllObjects(search.Attributes));
    }

    [Fact]
    public void GenerateKey_AfterReturning_LeavesNoObjectsBehind()
    {
        var before = _fixture.SessionObjects();

        _fixture.Hsm.GenerateKey(KeySpec.Rsa2048);
        _fixture.Hsm.GenerateKey(KeySpec.EcP384);
        _fixture.Hsm.GenerateKey(KeySpec.Aes256);

        // None of its own objects is left. (Compared as "nothing new", not "the same set": an object of an earlier test
        // can still go meanwhile, e.g. a cached handle another connector evicts; a fresh-clone run saw one vanish.)
        Assert.Empty(_fixture.SessionObjects().Except(before));
    }

    private void Use(Kms.Core.Ports.HsmKeyRef key)
    {
        switch (key.Spec)
        {
            case KeySpec.Aes256:
                _fixture.Hsm.EncryptAesGcm(key, RandomNumberGenerator.GetBytes(12), [], [1]);
                break;
            case KeySpec.HmacSha256:
                _fixture.Hsm.Mac(key, [1]);
                break;
            case KeySpec.EcP256:
                _fixture.Hsm.SignDigest(key, SigningAlgorithm.EcdsaSha256, new byte[32]);
                break;
            default:
                _fixture.Hsm.SignDigest(key, SigningAlgorithm.RsassaPssSha256, new byte[32]);
                break;
        }
    }
}

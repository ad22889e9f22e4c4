using System.Security.Cryptography;
using Kms.Core;
using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Hsm.Pkcs11.Internal;
using Kms.Testing;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>
/// Root-key rotation at the HSM: a blob rewrapped to a new root keeps the same key, the old blob means nothing to the
/// new root, the current root is recorded on the token for every connector, and a retired root is gone. Each test
/// works on a root family of its own, so the shared root of the other tests is never touched.
/// </summary>
[Collection(SessionObjectCountCollection.Name)]
public sealed class RootRotationTests : IDisposable
{
    private readonly SoftHsmFixture _fixture;
    private readonly Pkcs11HsmOptions _options;
    private readonly Pkcs11Hsm _hsm;

    public RootRotationTests(SoftHsmFixture fixture)
    {
        _fixture = fixture;
        _options = fixture.OptionsWith(o => o.RootKeyLabel = LocalStack.UniqueName("kms-rootrot-"));
        Assert.True(RootKeyCeremony.EnsureRootKey(_options));
        _hsm = new Pkcs11Hsm(_options);
    }

    [Theory]
    [InlineData(KeySpec.Aes256)]
    [InlineData(KeySpec.HmacSha256)]
    [InlineData(KeySpec.EcP256)]
    [InlineData(KeySpec.Rsa2048)]
    public void RewrapKey_ToNewRoot_SameKeyUnderNewRootAndOldBlobRefusedByIt(KeySpec spec)
    {
        var material = _hsm.GenerateKey(spec);
        Assert.Equal(_options.RootKeyLabel, material.RootKeyLabel);
        var oldRef = new HsmKeyRef(Guid.NewGuid().ToString(), 1, spec, material.WrappedMaterial, material.RootKeyLabel);
        var next = RootKeyLabels.Next(_options.RootKeyLabel);
        Assert.True(_hsm.EnsureRootKey(next));
        Assert.False(_hsm.EnsureRootKey(next));
        var before = _fixture.SessionObjects();

        var rewrapped = _hsm.RewrapKey(oldRef, next);

        Assert.NotNull(rewrapped);
        Assert.NotEqual(material.WrappedMaterial, rewrapped);
        // The temporary extractable object is gone again.
        Assert.Empty(_fixture.SessionObjects().Except(before));
        var newRef = new HsmKeyRef(Guid.NewGuid().ToString(), 1, spec, rewrapped, next);
        Assert.True(_hsm.CanUnwrap(newRef));
        // Each blob means nothing to the other root.
        Assert.False(_hsm.CanUnwrap(oldRef with { RootKeyLabel = next }));
        Assert.False(_hsm.CanUnwrap(newRef with { RootKeyLabel = _options.RootKeyLabel }));
        Assert.Null(_hsm.RewrapKey(oldRef with { RootKeyLabel = next }, next));
        Assert.Empty(_fixture.SessionObjects().Except(before));
        AssertSameKey(spec, oldRef, newRef, material.PublicKey);
    }

    [Fact]
    public void SetCurrentRootKey_NewRoot_NewKeysUseItAndEveryConnectorAgrees()
    {
        var next = RootKeyLabels.Next(_options.RootKeyLabel);
        Assert.Equal(_options.RootKeyLabel, _hsm.GetCurrentRootKeyLabel());
        Assert.Equal(KmsErrorCodes.OperationConflict, Assert.Throws<KmsException>(() => _hsm.SetCurrentRootKey(next)).Code);
        _hsm.EnsureRootKey(next);

        _hsm.SetCurrentRootKey(next);
        _hsm.SetCurrentRootKey(next);

        Assert.Equal(next, _hsm.GenerateKey(KeySpec.Aes256).RootKeyLabel);
        using var other = new Pkcs11Hsm(_options);
        Assert.Equal(next, other.GetCurrentRootKeyLabel());
        Assert.Equal(next, other.GenerateKey(KeySpec.HmacSha256).RootKeyLabel);
        Assert.True(other.CheckHealth().Healthy);
        Assert.Equal([_options.RootKeyLabel, next], _hsm.ListRootKeys());
        // A label outside this deployment's family is refused, whatever the token holds.
        Assert.Equal(KmsErrorCodes.ValidationFailed, Assert.Throws<KmsException>(() => _hsm.SetCurrentRootKey(_fixture.Options.RootKeyLabel)).Code);
    }

    [Fact]
    public void SetCurrentRootKey_SecondRotation_MovesThePointerAgainAndLeavesOne()
    {
        // A data object's value is read-only on SoftHSM2: the second switch once failed with CKR_ATTRIBUTE_READ_ONLY.
        var second = RootKeyLabels.Next(_options.RootKeyLabel);
        var third = RootKeyLabels.Next(second);
        _hsm.EnsureRootKey(second);
        _hsm.EnsureRootKey(third);

        _hsm.SetCurrentRootKey(second);
        _hsm.SetCurrentRootKey(third);

        Assert.Equal(third, _hsm.GetCurrentRootKeyLabel());
        Assert.Equal(third, _hsm.GenerateKey(KeySpec.Aes256).RootKeyLabel);
        using var other = new Pkcs11Hsm(_options);
        Assert.Equal(third, other.GetCurrentRootKeyLabel());
        using var session = _fixture.OpenSession();
        Assert.Single(RootPointer.ReadAll(session, _options.RootKeyLabel));
    }

    [Fact]
    public void ReadCurrent_TwoPointersLeftByACrash_TheNewestGenerationWins()
    {
        var second = RootKeyLabels.Next(_options.RootKeyLabel);
        _hsm.EnsureRootKey(second);
        _hsm.SetCurrentRootKey(second);
        using (var session = _fixture.OpenSession())
        {
            // What a crash between creating the next pointer and destroying the old one leaves: here an older one beside it.
            using var stale = KeyTemplates.CurrentRootPointer(session.Factories.ObjectAttributeFactory, _options.RootKeyLabel,
                new RootPointer(_options.RootKeyLabel, 0));
            session.CreateObject(stale.Attributes);
        }

        using var other = new Pkcs11Hsm(_options);
        Assert.Equal(second, other.GetCurrentRootKeyLabel());
    }

    [Theory]
    [InlineData("kms-root-2", 0)]
    [InlineData("kms-root-7", 12)]
    public void RootPointer_EncodeDecode_RoundTrips(string label, long generation) =>
        Assert.Equal(new RootPointer(label, generation), RootPointer.Decode(new RootPointer(label, generation).Encode()));

    [Fact]
    public void RootPointer_BareLabelWrittenBeforeGenerations_IsGenerationZero() =>
        Assert.Equal(new RootPointer("kms-root-2", 0), RootPointer.Decode("kms-root-2"u8.ToArray()));

    [Fact]
    public void DestroyRootKey_RetiredRoot_IsGoneCurrentIsRefusedAndCeremonyMakesNoNewOne()
    {
        var material = _hsm.GenerateKey(KeySpec.Aes256);
        var oldRef = new HsmKeyRef(Guid.NewGuid().ToString(), 1, KeySpec.Aes256, material.WrappedMaterial, material.RootKeyLabel);
        var next = RootKeyLabels.Next(_options.RootKeyLabel);
        _hsm.EnsureRootKey(next);
        var rewrapped = _hsm.RewrapKey(oldRef, next)!;
        _hsm.SetCurrentRootKey(next);

        Assert.Equal(KmsErrorCodes.OperationConflict, Assert.Throws<KmsException>(() => _hsm.DestroyRootKey(next)).Code);
        Assert.True(_hsm.DestroyRootKey(_options.RootKeyLabel));
        Assert.False(_hsm.DestroyRootKey(_options.RootKeyLabel));

        Assert.Equal([next], _hsm.ListRootKeys());
        using (var session = _fixture.OpenSession())
        {
            using var search = KeyTemplates.RootKeySearch(session.Factories.ObjectAttributeFactory, _options.RootKeyLabel);
            Assert.Empty(session.FindAllObjects(search.Attributes));
        }

        Assert.False(_hsm.CanUnwrap(oldRef));
        Assert.Null(_hsm.RewrapKey(oldRef, next));
        Assert.True(_hsm.CanUnwrap(oldRef with { WrappedMaterial = rewrapped, RootKeyLabel = next }));
        // The ceremony sees the token's current root and does not bring the retired label back.
        Assert.False(RootKeyCeremony.EnsureRootKey(_options));
        Assert.Equal([next], _hsm.ListRootKeys());
        Assert.True(_hsm.CheckHealth().Healthy);
    }

    public void Dispose()
    {
        _hsm.Dispose();
        // Leave the throw-away token as it was: this family's roots and its pointer.
        foreach (var label in new[] { _options.RootKeyLabel, RootKeyLabels.Next(_options.RootKeyLabel) })
        {
            _fixture.DestroyRootKey(label);
        }

        using var session = _fixture.OpenSession();
        using var pointer = KeyTemplates.CurrentRootPointerSearch(session.Factories.ObjectAttributeFactory, _options.RootKeyLabel);
        foreach (var handle in session.FindAllObjects(pointer.Attributes))
        {
            session.DestroyObject(handle);
        }
    }

    private void AssertSameKey(KeySpec spec, HsmKeyRef before, HsmKeyRef after, byte[]? publicKey)
    {
        var message = RandomNumberGenerator.GetBytes(48);
        switch (spec)
        {
            case KeySpec.Aes256:
                var iv = RandomNumberGenerator.GetBytes(12);
                var sealedBefore = _hsm.EncryptAesGcm(before, iv, [7], message);
                Assert.Equal(message, _hsm.DecryptAesGcm(after, iv, [7], sealedBefore));
                break;
            case KeySpec.HmacSha256:
                Assert.Equal(_hsm.Mac(before, message), _hsm.Mac(after, message));
                break;
            default:
                var algorithm = spec.IsRsa() ? SigningAlgorithm.RsassaPssSha256 : SigningAlgorithm.EcdsaSha256;
                var digest = SHA256.HashData(message);
                Assert.True(SignatureVerifier.Verify(spec, publicKey!, algorithm, digest, _hsm.SignDigest(after, algorithm, digest)));
                break;
        }
    }
}

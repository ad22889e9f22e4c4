using System.Collections.Concurrent;
using Kms.Core;
using Kms.Core.Ports;
using Kms.Hsm.Pkcs11.Internal;
using Kms.Testing;
using Microsoft.Extensions.Configuration;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>
/// The SoftHSM2 token from the local stack, its root key (made by the ceremony) and one shared connector.
/// Key generation is slow for big RSA keys, so each spec is generated once per run and shared.
/// </summary>
public sealed class SoftHsmFixture : IDisposable
{
    private readonly ConcurrentDictionary<KeySpec, Lazy<GeneratedKeyMaterial>> _keys = new();

    public SoftHsmFixture()
    {
        Options = LoadOptions();
        RootKeyCeremony.EnsureRootKey(Options);
        Hsm = new Pkcs11Hsm(Options, Logger);
    }

    public Pkcs11HsmOptions Options { get; }

    public Pkcs11Hsm Hsm { get; }

    /// <summary>What the shared connector logged.</summary>
    public RecordingLogger<Pkcs11Hsm> Logger { get; } = new();

    public static Pkcs11HsmOptions LoadOptions()
    {
        var options = new Pkcs11HsmOptions();
        LocalStack.Configuration.GetSection(Pkcs11HsmOptions.SectionName).Bind(options);
        return options;
    }

    /// <summary>Options for the same token with other values, for connectors a test builds itself.</summary>
    public Pkcs11HsmOptions OptionsWith(Action<Pkcs11HsmOptions> change)
    {
        var options = LoadOptions();
        change(options);
        return options;
    }

    /// <summary>Material of one key per spec, generated on first request.</summary>
    public GeneratedKeyMaterial Material(KeySpec spec) =>
        _keys.GetOrAdd(spec, s => new Lazy<GeneratedKeyMaterial>(() => Hsm.GenerateKey(s))).Value;

    /// <summary>A reference to the shared key of <paramref name="spec"/> under a fresh key id, so its handle is not cached yet.</summary>
    public HsmKeyRef FreshRef(KeySpec spec, int version = 1) => RefTo(spec, Material(spec), Guid.NewGuid().ToString("D"), version);

    public static HsmKeyRef RefTo(KeySpec spec, GeneratedKeyMaterial material, string keyId, int version = 1) =>
        new(keyId, version, spec, material.WrappedMaterial, material.RootKeyLabel);

    /// <summary>A logged-in read/write session of the test's own on the same token.</summary>
    public ISession OpenSession()
    {
        var session = Slot().OpenSession(SessionType.ReadWrite);
        TokenConnection.Login(session, Options.UserPin);
        return session;
    }

    public ISlot Slot() =>
        TokenConnection.FindSlot(Pkcs11Runtime.GetLibrary(Options.LibraryPath), Options.TokenLabel)
        ?? throw new InvalidOperationException($"Token '{Options.TokenLabel}' not found.");

    /// <summary>Handles of every session object (CKA_TOKEN=false) this process has on the token.</summary>
    public HashSet<ulong> SessionObjects()
    {
        using var session = OpenSession();
        using var template = new Template(session.Factories.ObjectAttributeFactory).Add(CKA.CKA_TOKEN, false);
        return [.. session.FindAllObjects(template.Attributes).Select(h => h.ObjectId)];
    }

    public IObjectHandle FindRootKey(ISession session, string label)
    {
        using var search = KeyTemplates.RootKeySearch(session.Factories.ObjectAttributeFactory, label);
        return Assert.Single(session.FindAllObjects(search.Attributes));
    }

    /// <summary>Removes a token object a test created, so the throw-away token does not collect clutter.</summary>
    public void DestroyRootKey(string label)
    {
        using var session = OpenSession();
        using var search = KeyTemplates.RootKeySearch(session.Factories.ObjectAttributeFactory, label);
        foreach (var handle in session.FindAllObjects(search.Attributes))
        {
            session.DestroyObject(handle);
        }
    }

    public void Dispose() => Hsm.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsmFixture>
{
    // Tests on the token run one after another: some count session objects or close every session.
    public const string Name = "SoftHSM";
}

/// <summary>
/// For test classes that count the token's session objects, which every connector in the process shares: they run
/// alone, after the parallel collections, so another class's unwraps, evictions or temporary rewrap objects cannot change
/// the count between two reads (fresh-clone runs saw 38 for 39 in the handle-cache tests and a stray object in a
/// root-rotation test).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SessionObjectCountCollection : ICollectionFixture<SoftHsmFixture>
{
    public const string Name = "Session object counts (alone)";
}

using Kms.Core.Errors;
using Kms.Hsm.Pkcs11.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11;

/// <summary>
/// The key ceremony: the one place that creates a root wrapping key. <see cref="Pkcs11Hsm"/> never creates
/// one, so a misconfigured label fails loudly instead of silently starting a new, empty hierarchy.
/// </summary>
public static class RootKeyCeremony
{
    // Serialises ceremonies inside this process; two processes racing could still both create a key,
    // which Pkcs11Hsm then refuses to use (ambiguous label) rather than guess.
    private static readonly Lock Gate = new();

    /// <summary>
    /// Creates the root key named by <see cref="Pkcs11HsmOptions.RootKeyLabel"/> unless a key with that
    /// label exists: an AES-256 private token object, sensitive and never extractable, that can only wrap
    /// and unwrap. Returns true when it created the key.
    /// </summary>
    /// <exception cref="KmsException">The HSM or token cannot be reached (HsmUnavailable).</exception>
    /// <exception cref="InvalidOperationException">An object with the label exists but is not a usable root key.</exception>
    /// <remarks>
    /// After a root-key rotation the token names its current root (a later generation, <c>{RootKeyLabel}.genN</c>)
    /// and the configured label's key may be retired: then the ceremony only checks that the current root exists,
    /// rather than create an unused key under the configured label.
    /// </remarks>
    public static bool EnsureRootKey(Pkcs11HsmOptions options, ILogger? logger = null) => Ensure(options, label: null, logger);

    /// <summary>Creates the root key <paramref name="label"/> (a new generation, for root-key rotation) unless it exists.</summary>
    internal static bool EnsureRootKey(Pkcs11HsmOptions options, string label, ILogger? logger) => Ensure(options, label, logger);

    private static bool Ensure(Pkcs11HsmOptions options, string? label, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;

        lock (Gate)
        {
            string? refusal;
            try
            {
                refusal = CreateUnlessPresent(options, label, logger, out var created);
                if (refusal is null)
                {
                    return created;
                }
            }
            catch (Pkcs11Exception ex)
            {
                Log.CeremonyFailed(logger, options.TokenLabel, ex.RV);
                throw KmsErrors.HsmUnavailable();
            }
            catch (Exception ex) when (ex is not KmsException)
            {
                Log.ConnectFailed(logger, options.TokenLabel, options.LibraryPath, ex);
                throw KmsErrors.HsmUnavailable();
            }

            throw new InvalidOperationException(refusal);
        }
    }

    /// <summary>Creates the root key when no object carries its label; returns why an existing object was refused, or null.</summary>
    private static string? CreateUnlessPresent(Pkcs11HsmOptions options, string? label, ILogger logger, out bool created)
    {
        created = false;
        var library = Pkcs11Runtime.GetLibrary(options.LibraryPath);
        var slot = TokenConnection.FindSlot(library, options.TokenLabel);
        if (slot is null)
        {
            Log.TokenNotFound(logger, options.TokenLabel);
            throw KmsErrors.HsmUnavailable();
        }

        // Closing (not logging out) at the end: a logout would end the login of every other session
        // this process has with the token.
        using var session = slot.OpenSession(SessionType.ReadWrite);
        TokenConnection.Login(session, options.UserPin);
        var factories = session.Factories;
        var current = label is null ? TokenConnection.ReadCurrentRootLabel(session, options) : null;
        if (current is not null)
        {
            using var currentSearch = KeyTemplates.RootKeySearch(factories.ObjectAttributeFactory, current);
            if (session.FindAllObjects(currentSearch.Attributes).Count == 0)
            {
                return $"Token '{options.TokenLabel}' names '{current}' as its current root key, but no such key exists; refusing to create another hierarchy.";
            }

            Log.RootKeyExists(logger, current, options.TokenLabel);
            return null;
        }

        var target = label ?? options.RootKeyLabel;
        using (var search = KeyTemplates.RootKeySearch(factories.ObjectAttributeFactory, target))
        {
            var existing = session.FindAllObjects(search.Attributes);
            if (existing.Count > 1)
            {
                return $"{existing.Count} secret keys on token '{options.TokenLabel}' carry the label '{target}'; remove all but one.";
            }

            if (existing.Count == 1)
            {
                if (!IsUsableRoot(session, existing[0]))
                {
                    return $"The key labelled '{target}' on token '{options.TokenLabel}' is not a non-extractable AES wrapping key; refusing to use it as root.";
                }

                Log.RootKeyExists(logger, target, options.TokenLabel);
                return null;
            }
        }

        using var template = KeyTemplates.RootKey(factories.ObjectAttributeFactory, target);
        using var generate = factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN);
        session.GenerateKey(generate, template.Attributes);
        Log.RootKeyCreated(logger, target, options.TokenLabel);
        created = true;
        return null;
    }

    /// <summary>An existing key with the label must be one we would have made; anything weaker is refused, not adopted.</summary>
    private static bool IsUsableRoot(ISession session, IObjectHandle key)
    {
        using var values = new AttributeValues(session, key, CKA.CKA_KEY_TYPE, CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE, CKA.CKA_WRAP, CKA.CKA_UNWRAP);
        return values.ULong(CKA.CKA_KEY_TYPE) == (ulong)CKK.CKK_AES
            && values.Bool(CKA.CKA_EXTRACTABLE) == false
            && values.Bool(CKA.CKA_SENSITIVE) == true
            && values.Bool(CKA.CKA_WRAP) == true
            && values.Bool(CKA.CKA_UNWRAP) == true;
    }
}

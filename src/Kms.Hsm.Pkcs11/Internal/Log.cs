using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.Common;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// Log events of the HSM connector, event ids 2000-2099. PKCS#11 return codes appear here and only here;
/// key material, PINs and plaintext never do.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information,
        Message = "Connected to HSM token {TokenLabel} in slot {SlotId}; up to {MaxSessions} operation sessions.")]
    public static partial void Connected(ILogger logger, string tokenLabel, ulong slotId, int maxSessions);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error,
        Message = "Could not connect to HSM token {TokenLabel} through {LibraryPath}.")]
    public static partial void ConnectFailed(ILogger logger, string tokenLabel, string libraryPath, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error,
        Message = "No slot holds an HSM token labelled {TokenLabel}.")]
    public static partial void TokenNotFound(ILogger logger, string tokenLabel);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error,
        Message = "Root key {RootKeyLabel} was not found on HSM token {TokenLabel}; create it with the key ceremony (RootKeyCeremony.EnsureRootKey).")]
    public static partial void RootKeyMissing(ILogger logger, string rootKeyLabel, string tokenLabel);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error,
        Message = "{Count} secret keys on HSM token {TokenLabel} carry the root key label {RootKeyLabel}; refusing to guess which one wraps.")]
    public static partial void RootKeyAmbiguous(ILogger logger, int count, string tokenLabel, string rootKeyLabel);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error,
        Message = "HSM operation {Operation} failed with {ReturnValue} (key {KeyId} version {KeyVersion}).")]
    public static partial void OperationFailed(ILogger logger, HsmOperation operation, CKR returnValue, string? keyId, int? keyVersion);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning,
        Message = "HSM sessions are no longer usable after {ReturnValue} in {Operation}; dropping cached handles and reconnecting.")]
    public static partial void ConnectionLost(ILogger logger, CKR returnValue, HsmOperation operation);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information,
        Message = "AES-GCM decryption with key {KeyId} version {KeyVersion} was rejected ({ReturnValue}).")]
    public static partial void DecryptRejected(ILogger logger, string keyId, int keyVersion, CKR returnValue);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Debug,
        Message = "Unwrapped key {KeyId} version {KeyVersion} into the HSM.")]
    public static partial void KeyUnwrapped(ILogger logger, string keyId, int keyVersion);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning,
        Message = "Could not destroy an unwrapped key object ({ReturnValue}); it goes when its session closes.")]
    public static partial void DestroyFailed(ILogger logger, CKR returnValue);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug,
        Message = "Evicted {Count} cached handles of key {KeyId}.")]
    public static partial void Evicted(ILogger logger, int count, string keyId);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Error,
        Message = "HSM operation {Operation} failed unexpectedly.")]
    public static partial void UnexpectedFailure(ILogger logger, HsmOperation operation, Exception exception);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning,
        Message = "No HSM operation session became free within {Timeout}; {MaxSessions} are in use.")]
    public static partial void SessionWaitTimedOut(ILogger logger, TimeSpan timeout, int maxSessions);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information,
        Message = "Created root key {RootKeyLabel} on HSM token {TokenLabel}.")]
    public static partial void RootKeyCreated(ILogger logger, string rootKeyLabel, string tokenLabel);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information,
        Message = "Root key {RootKeyLabel} already exists on HSM token {TokenLabel}; nothing created.")]
    public static partial void RootKeyExists(ILogger logger, string rootKeyLabel, string tokenLabel);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Warning,
        Message = "The HSM handle cache is full ({Capacity}); dropped {Count} handles closest to expiry.")]
    public static partial void CacheTrimmed(ILogger logger, int capacity, int count);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Warning,
        Message = "The HSM session is no longer logged in; reconnecting.")]
    public static partial void LoggedOut(ILogger logger);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Warning,
        Message = "HSM health check failed with {ReturnValue}.")]
    public static partial void HealthCheckFailed(ILogger logger, CKR returnValue);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Error,
        Message = "Key ceremony on HSM token {TokenLabel} failed with {ReturnValue}.")]
    public static partial void CeremonyFailed(ILogger logger, string tokenLabel, CKR returnValue);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Warning,
        Message = "Sweeping expired HSM key handles failed.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Warning,
        Message = "Could not destroy an unwrapped key object; it goes when its session closes.")]
    public static partial void DestroyFailedUnexpectedly(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Warning,
        Message = "Root key {RootKeyLabel} is now the current root on HSM token {TokenLabel}.")]
    public static partial void CurrentRootSet(ILogger logger, string rootKeyLabel, string tokenLabel);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning,
        Message = "Destroyed root key {RootKeyLabel} on HSM token {TokenLabel}.")]
    public static partial void RootKeyDestroyed(ILogger logger, string rootKeyLabel, string tokenLabel);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Error,
        Message = "Root key {RootKeyLabel} that wrapped key {KeyId} version {KeyVersion} is not on the token.")]
    public static partial void RootKeyGone(ILogger logger, string rootKeyLabel, string keyId, int keyVersion);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Error,
        Message = "The blob of key {KeyId} version {KeyVersion} does not unwrap under root key {RootKeyLabel} ({ReturnValue}).")]
    public static partial void UnwrapRejected(ILogger logger, string keyId, int keyVersion, string rootKeyLabel, CKR returnValue);
}

/// <summary>Names of connector operations, for logs.</summary>
internal enum HsmOperation
{
    Connect,
    OpenSession,
    GenerateKey,
    Unwrap,
    Encrypt,
    Decrypt,
    Sign,
    Mac,
    Random,
    Health,
    Ceremony,
    RootKey,
    Rewrap,
}

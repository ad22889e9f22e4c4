using Net.Pkcs11Interop.Common;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>Sorts PKCS#11 return values into what the connector does about them.</summary>
internal static class Pkcs11Failures
{
    /// <summary>
    /// Our sessions, login or object handles are no longer valid (or the token is gone): drop the
    /// connection with its cached handles and open a new one.
    /// </summary>
    public static bool IsConnectionLost(CKR rv) => rv is
        CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_USER_NOT_LOGGED_IN or
        CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_KEY_HANDLE_INVALID or
        CKR.CKR_WRAPPING_KEY_HANDLE_INVALID or CKR.CKR_UNWRAPPING_KEY_HANDLE_INVALID or
        CKR.CKR_DEVICE_ERROR or CKR.CKR_DEVICE_REMOVED or CKR.CKR_TOKEN_NOT_PRESENT or
        CKR.CKR_TOKEN_NOT_RECOGNIZED or CKR.CKR_SLOT_ID_INVALID or CKR.CKR_CRYPTOKI_NOT_INITIALIZED;

    /// <summary>Transient shortage in the device or host; worth retrying later, nothing to reset.</summary>
    public static bool IsResourceShortage(CKR rv) => rv is
        CKR.CKR_DEVICE_MEMORY or CKR.CKR_HOST_MEMORY or CKR.CKR_SESSION_COUNT or
        CKR.CKR_FUNCTION_CANCELED or CKR.CKR_CANT_LOCK or CKR.CKR_OPERATION_ACTIVE;

    /// <summary>
    /// Failures that are clearly about the device, session or token rather than the data. In decrypt,
    /// every other code means the ciphertext did not open: SoftHSM 2.6 reports a GCM tag mismatch as
    /// CKR_GENERAL_ERROR, so no single code identifies tampering.
    /// </summary>
    public static bool IsHsmFailure(CKR rv) => IsConnectionLost(rv) || IsResourceShortage(rv);
}

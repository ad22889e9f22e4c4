namespace Kms.Core.Errors;

/// <summary>
/// The one exception family of the KMS. <c>Message</c> is safe to show to callers: it never holds
/// key material, plaintext, encryption-context values or PKCS#11 return codes.
/// </summary>
public sealed class KmsException : Exception
{
    public KmsException(KmsErrorKind kind, string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Code = code;
    }

    public KmsErrorKind Kind { get; }

    /// <summary>A stable code from <see cref="KmsErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>Seconds a caller should wait before retrying, for <see cref="KmsErrorKind.Unavailable"/>.</summary>
    public int? RetryAfterSeconds { get; init; }
}

namespace Kms.Client.Envelope;

/// <summary>Why a message could not be decrypted.</summary>
public enum EnvelopeErrorReason
{
    /// <summary>The bytes are not a well-formed message of a known format version, or a field is out of bounds.</summary>
    MalformedMessage,

    /// <summary>The header or a frame did not authenticate: the message was altered or belongs to another key.</summary>
    AuthenticationFailed,

    /// <summary>The message ended before its final frame.</summary>
    Truncated,

    /// <summary>Bytes follow the final frame.</summary>
    TrailingData,

    /// <summary>The message's encryption context lacks a pair the caller required.</summary>
    ContextMismatch,

    /// <summary>The KMS answered with a data key of another KMS key than the header names.</summary>
    KeyIdMismatch,

    /// <summary>The data key the KMS returned is not usable by the algorithm suite (wrong length).</summary>
    InvalidDataKey,
}

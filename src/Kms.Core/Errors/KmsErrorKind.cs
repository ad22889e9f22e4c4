namespace Kms.Core.Errors;

/// <summary>The class of a failure; the API layer maps each kind to one HTTP status.</summary>
public enum KmsErrorKind
{
    /// <summary>The request is malformed or violates a rule (400).</summary>
    BadRequest,
    /// <summary>The named key, version or alias does not exist (404).</summary>
    NotFound,
    /// <summary>The request conflicts with the current state, such as a lost optimistic-concurrency race (409).</summary>
    Conflict,
    /// <summary>The body is larger than allowed (413).</summary>
    PayloadTooLarge,
    /// <summary>The body is not JSON (415).</summary>
    UnsupportedMediaType,
    /// <summary>The key or version exists but its state refuses the operation (409 in KMS terms: the request is valid, the key is not usable).</summary>
    InvalidState,
    /// <summary>A dependency (HSM, storage) is unavailable; retry later (503).</summary>
    Unavailable,
    /// <summary>No valid identity (401).</summary>
    Unauthenticated,
    /// <summary>The identity is not allowed to do this (403).</summary>
    Forbidden,
    /// <summary>Too many requests from this principal (429).</summary>
    Throttled,
    /// <summary>An unexpected server-side failure (500). Never carries internal detail.</summary>
    Internal,
}

namespace Kms.Core.Ports;

/// <summary>
/// The authorization check the application services call once they know which key an operation touches
/// (after resolving an alias or reading a ciphertext header). The implementation knows the caller of the
/// current request; it raises AccessDenied (403) and records every decision for audit.
/// </summary>
public interface IAccessGuard
{
    /// <summary>The authenticated principal of the current request.</summary>
    string Principal { get; }

    /// <summary>The current request's id, so events can name the request (and so its audit record) that caused them.</summary>
    string? RequestId { get; }

    /// <param name="keyId">Null for key-independent actions.</param>
    /// <param name="context">The request's encryption-context pairs, for policy conditions.</param>
    ValueTask DemandAsync(string action, string? keyId, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken);
}

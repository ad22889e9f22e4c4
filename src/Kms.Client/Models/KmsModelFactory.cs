namespace Kms.Client.Models;

/// <summary>Builds the client's output models for tests of code that uses a mocked <see cref="KmsClient"/>.</summary>
public static class KmsModelFactory
{
    public static KmsKey KmsKey(string keyId, string keySpec = KeySpecs.Aes256, string keyUsage = KeyUsages.EncryptDecrypt, string state = "ENABLED",
        int primaryVersion = 1, int latestVersion = 1, string? description = null, IReadOnlyDictionary<string, string>? tags = null,
        IReadOnlyList<string>? aliases = null, DateTimeOffset createdAt = default, DateTimeOffset updatedAt = default, bool deletionProtection = false,
        DateTimeOffset? deletionDate = null, int? rotationPeriodDays = null, DateTimeOffset? nextRotationAt = null) =>
        new(keyId, keySpec, keyUsage, state, primaryVersion, latestVersion, description, tags, aliases, createdAt, updatedAt, deletionProtection,
            deletionDate, rotationPeriodDays, nextRotationAt);

    public static KmsKeyVersion KmsKeyVersion(string keyId, int version, string state = "ENABLED", bool primary = true,
        DateTimeOffset createdAt = default, DateTimeOffset stateChangedAt = default) =>
        new(keyId, version, state, primary, createdAt, stateChangedAt);

    public static KmsKeyVersionList KmsKeyVersionList(string keyId, int primaryVersion, IEnumerable<KmsKeyVersion> versions) =>
        new(keyId, primaryVersion, versions.ToList());

    public static KeyRotationResult KeyRotationResult(string keyId, int version) => new(keyId, version, version);

    public static KmsAlias KmsAlias(string alias, string keyId, DateTimeOffset createdAt = default, DateTimeOffset updatedAt = default) =>
        new(alias, keyId, createdAt, updatedAt);

    public static EncryptResult EncryptResult(byte[] ciphertext, string keyId, int version = 1) => new(ciphertext, keyId, version);

    public static DecryptResult DecryptResult(byte[] plaintext, string keyId, int version = 1) => new(plaintext, keyId, version);

    public static ReEncryptResult ReEncryptResult(byte[] ciphertext, string keyId, int version, string sourceKeyId, int sourceVersion) =>
        new(ciphertext, keyId, version, sourceKeyId, sourceVersion);

    public static BatchItemError BatchItemError(string code, int status, string detail) => new(code, status, detail);

    public static BatchItemResult<T> BatchItemResult<T>(T? value, BatchItemError? error = null)
        where T : class => new(value, error);

    public static DataKeyResult DataKeyResult(byte[]? plaintext, byte[] ciphertext, string keyId, int version = 1) =>
        new(plaintext, ciphertext, keyId, version);

    public static SignResult SignResult(byte[] signature, string keyId, int version, string algorithm) => new(signature, keyId, version, algorithm);

    public static VerifyResult VerifyResult(bool valid, string keyId, int version = 1) => new(valid, keyId, version);

    public static MacResult MacResult(byte[] mac, string keyId, int version = 1) => new(mac, keyId, version);

    public static KmsPublicKey KmsPublicKey(string keyId, int version, string keySpec, string publicKeyPem) => new(keyId, version, keySpec, publicKeyPem);

    public static PolicyDecision PolicyDecision(bool allowed, string source, string reason) => new(allowed, source, reason);

    public static RoleAssignment RoleAssignment(string id, string principal, string role, string scope = "*", string createdBy = "admin",
        DateTimeOffset createdAt = default) =>
        new(id, principal, role, scope, createdBy, createdAt);

    public static KmsOperation KmsOperation(string operationId, string type, string state, string? keyId = null, string? step = null,
        IReadOnlyList<string>? checkpoints = null, int? version = null, string? error = null, DateTimeOffset createdAt = default,
        DateTimeOffset lastUpdatedAt = default, string? statusUrl = null, RewrapProgress? progress = null, OperationApprovals? approvals = null,
        TimeToRevoke? timeToRevoke = null, IReadOnlyList<string>? relatedOperations = null, DateTimeOffset? completedAt = null) =>
        new(operationId, type, keyId, state, step, checkpoints, version, error, createdAt, lastUpdatedAt, statusUrl ?? $"/api/operations/{operationId}",
            progress, approvals, timeToRevoke, relatedOperations, completedAt);

    public static RewrapProgress RewrapProgress(long done, long skipped = 0, long failed = 0, long? total = null, double itemsPerSecond = 0,
        double? etaSeconds = null, int pass = 1) =>
        new(done, skipped, failed, total, itemsPerSecond, etaSeconds, pass);

    public static OperationApprovals OperationApprovals(int required, string requestedBy, IEnumerable<OperationApproval> received, string state,
        DateTimeOffset? expiresAt = null) =>
        new(required, requestedBy, received.ToList(), state, expiresAt);

    public static OperationApproval OperationApproval(string principal, DateTimeOffset approvedAt, string? comment = null) =>
        new(principal, approvedAt, comment);

    public static TimeToRevoke TimeToRevoke(double revokedMs, double? publishedMs = null) => new(revokedMs, publishedMs);

    public static AuditRecord AuditRecord(string chainId, long sequence, DateTimeOffset time, string operation, int status, string requestId,
        string hash, string? principal = null, IReadOnlyList<string>? roles = null, string? keyId = null, int? keyVersion = null,
        string? errorCode = null, string? reason = null, string? callerAddress = null, IReadOnlyList<string>? contextKeys = null) =>
        new(chainId, sequence, time, principal, roles ?? [], operation, keyId, keyVersion, status, errorCode, reason, requestId, callerAddress,
            contextKeys ?? [], hash);

    public static AuditVerification AuditVerification(bool valid, int chains, long records, IEnumerable<AuditBreak>? breaks = null) =>
        new(valid, chains, records, breaks?.ToList() ?? []);

    public static AuditBreak AuditBreak(string chainId, long sequence, string problem) => new(chainId, sequence, problem);

    public static KmsHealth KmsHealth(string status, IReadOnlyDictionary<string, KmsComponentHealth> components, KmsEventDelivery? events = null) =>
        new(status, components, events);

    public static KmsComponentHealth KmsComponentHealth(string status, string? detail = null) => new(status, detail);
}

using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// Log events of the table stores (event ids 3000-3099). Messages carry operation names, key ids, alias
/// names, approval and role assignment ids and HTTP statuses; never entity contents, so no wrapped material,
/// public key, policy document or principal reaches a log.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Error,
        Message = "Table storage operation {Operation} failed (status {Status}, error code {ErrorCode}); reporting storage unavailable")]
    public static partial void StorageFailed(this ILogger logger, string operation, int status, string? errorCode, Exception exception);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Table storage operation {Operation} on {Target} lost an ETag race (status {Status})")]
    public static partial void ConcurrentModification(this ILogger logger, string operation, string target, int status);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Table storage health check failed: {Reason}")]
    public static partial void HealthCheckFailed(this ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Table {TableName} is ready")]
    public static partial void TableReady(this ILogger logger, string tableName);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Rejected a continuation token that is not one this store issued")]
    public static partial void InvalidContinuationToken(this ILogger logger);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning,
        Message = "Table storage operation {Operation} on {Target} found no row to update (status 404); reporting a concurrent modification")]
    public static partial void UpdateTargetMissing(this ILogger logger, string operation, string target);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning,
        Message = "Role assignment id {AssignmentId} is stored {Count} times (ids should be unique); deleting every copy")]
    public static partial void DuplicateRoleAssignmentId(this ILogger logger, string assignmentId, int count);
}

namespace Kms.Core;

/// <summary>
/// Who a change is made for, when it is made outside the request that authorized it (an orchestration step
/// acting for the principal that started the operation).
/// </summary>
public sealed record Actor(string Principal, string? RequestId);

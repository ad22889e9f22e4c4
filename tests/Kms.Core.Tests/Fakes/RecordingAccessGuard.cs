using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Core.Tests.Fakes;

/// <summary>Records every demand the services make; refuses the actions listed in <see cref="Denied"/>.</summary>
internal sealed class RecordingAccessGuard : IAccessGuard
{
    public string Principal { get; set; } = "unit-test";

    public string? RequestId { get; set; } = "unit-test-request";

    public HashSet<string> Denied { get; } = [];

    public List<(string Action, string? KeyId)> Demands { get; } = [];

    public ValueTask DemandAsync(string action, string? keyId, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken)
    {
        lock (Demands)
        {
            Demands.Add((action, keyId));
        }

        return Denied.Contains(action)
            ? throw KmsErrors.AccessDenied(Principal, action, keyId, "denied by the test")
            : ValueTask.CompletedTask;
    }
}

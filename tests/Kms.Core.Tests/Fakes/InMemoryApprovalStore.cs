using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Core.Tests.Fakes;

internal sealed class InMemoryApprovalStore : IApprovalStore
{
    private readonly Dictionary<string, ApprovalRequest> _requests = [];
    private int _etag;

    public Task<ApprovalRequest> CreateAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        lock (_requests)
        {
            var stored = request with { ETag = (++_etag).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            _requests.Add(request.Id, stored);
            return Task.FromResult(stored);
        }
    }

    public Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken)
    {
        lock (_requests)
        {
            return Task.FromResult(_requests.GetValueOrDefault(id));
        }
    }

    public Task<ApprovalRequest> UpdateAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        lock (_requests)
        {
            if (!_requests.TryGetValue(request.Id, out var current) || current.ETag != request.ETag)
            {
                throw KmsErrors.ConcurrentModification("Approval request");
            }

            var stored = request with { ETag = (++_etag).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            _requests[request.Id] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<IReadOnlyList<ApprovalRequest>> ListForKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        lock (_requests)
        {
            return Task.FromResult<IReadOnlyList<ApprovalRequest>>(_requests.Values.Where(r => r.KeyId == keyId).OrderByDescending(r => r.CreatedAt).ToArray());
        }
    }
}

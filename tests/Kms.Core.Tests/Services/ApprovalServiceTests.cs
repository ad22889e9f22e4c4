using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Core.Tests.Fakes;

namespace Kms.Core.Tests.Services;

public sealed class ApprovalServiceTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Approve_TwoDistinctApprovers_Approved()
    {
        var (f, approvals) = Create();
        var request = await RequestKeyDestructionAsync(f, approvals, requester: "alice");

        f.Access.Principal = "bob";
        var once = await approvals.ApproveAsync(request.Id, "looks right", None);
        f.Access.Principal = "carol";
        var twice = await approvals.ApproveAsync(request.Id, null, None);

        Assert.Equal(ApprovalStatus.Pending, once.Status);
        Assert.Equal(ApprovalStatus.Approved, twice.Status);
        Assert.Equal(["bob", "carol"], twice.Approvals.Select(a => a.Principal));
    }

    [Fact]
    public async Task Approve_ByRequester_ApprovalNotAllowed()
    {
        var (f, approvals) = Create();
        var request = await RequestKeyDestructionAsync(f, approvals, requester: "alice");

        var e = await Assert.ThrowsAsync<KmsException>(() => approvals.ApproveAsync(request.Id, null, None));

        Assert.Equal(KmsErrorCodes.ApprovalNotAllowed, e.Code);
    }

    [Fact]
    public async Task Approve_SameApproverTwice_ApprovalNotAllowed_StillPending()
    {
        var (f, approvals) = Create();
        var request = await RequestKeyDestructionAsync(f, approvals, requester: "alice");
        f.Access.Principal = "bob";
        await approvals.ApproveAsync(request.Id, null, None);

        var e = await Assert.ThrowsAsync<KmsException>(() => approvals.ApproveAsync(request.Id, null, None));

        Assert.Equal(KmsErrorCodes.ApprovalNotAllowed, e.Code);
        Assert.Equal(ApprovalStatus.Pending, (await approvals.GetAsync(request.Id, None)).Status);
    }

    [Fact]
    public async Task Approve_AfterExpiry_ApprovalNotAllowed()
    {
        var (f, approvals) = Create();
        var request = await RequestKeyDestructionAsync(f, approvals, requester: "alice");
        f.Time.Advance(TimeSpan.FromHours(73));
        f.Access.Principal = "bob";

        var e = await Assert.ThrowsAsync<KmsException>(() => approvals.ApproveAsync(request.Id, null, None));

        Assert.Equal(KmsErrorCodes.ApprovalNotAllowed, e.Code);
        Assert.Equal(ApprovalStatus.Expired, (await approvals.GetAsync(request.Id, None)).Status);
    }

    [Fact]
    public async Task RequestDestruction_KeyNotPendingDeletion_ApprovalNotAllowed()
    {
        var (f, approvals) = Create();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var e = await Assert.ThrowsAsync<KmsException>(() => approvals.RequestDestructionAsync(keyId, null, null, None));

        Assert.Equal(KmsErrorCodes.ApprovalNotAllowed, e.Code);
    }

    [Fact]
    public async Task RequestDestruction_PrimaryOrEnabledVersion_ApprovalNotAllowed_DisabledOldVersion_Accepted()
    {
        var (f, approvals) = Create();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Keys.RotateAsync(keyId, None);

        var enabled = await Assert.ThrowsAsync<KmsException>(() => approvals.RequestDestructionAsync(keyId, 1, null, None));
        await f.Keys.SetVersionStateAsync(keyId, 1, KeyVersionState.Disabled, None);
        var accepted = await approvals.RequestDestructionAsync(keyId, 1, "retired", None);

        Assert.Equal(KmsErrorCodes.ApprovalNotAllowed, enabled.Code);
        Assert.Equal(ApprovalRequest.DestroyKeyVersion, accepted.Operation);
        Assert.Equal(2, accepted.RequiredApprovals);
    }

    [Fact]
    public async Task ScheduleDeletion_DeletionProtected_DeletionProtected_UntilCleared()
    {
        var (f, _) = Create();
        var keyId = (await f.Keys.CreateKeyAsync(new CreateKeyCommand(KeySpec.Aes256, DeletionProtection: true), None)).Key.KeyId;

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.ScheduleDeletionAsync(keyId, null, None));
        await f.Keys.SetDeletionProtectionAsync(keyId, false, None);
        var scheduled = await f.Keys.ScheduleDeletionAsync(keyId, null, None);

        Assert.Equal(KmsErrorCodes.DeletionProtected, e.Code);
        Assert.Equal(KeyState.PendingDeletion, scheduled.State);
        Assert.Equal(f.Time.GetUtcNow().AddDays(30), scheduled.DeletionDate);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(31)]
    public async Task ScheduleDeletion_WaitingDaysOutOfRange_ValidationFailed(int days)
    {
        var (f, _) = Create();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Keys.ScheduleDeletionAsync(keyId, days, None));

        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
    }

    [Fact]
    public async Task CancelDeletion_LeavesKeyDisabled_EnableRefusedWhilePending()
    {
        var (f, _) = Create();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Keys.ScheduleDeletionAsync(keyId, 7, None);

        var enable = await Assert.ThrowsAsync<KmsException>(() => f.Keys.SetKeyStateAsync(keyId, KeyState.Enabled, None));
        var cancelled = await f.Keys.CancelDeletionAsync(keyId, None);

        Assert.Equal(KmsErrorCodes.KeyPendingDeletion, enable.Code);
        Assert.Equal(KeyState.Disabled, cancelled.State);
        Assert.Null(cancelled.DeletionDate);
    }

    private static (ServiceFixture Fixture, ApprovalService Approvals) Create()
    {
        var f = new ServiceFixture();
        return (f, new ApprovalService(new InMemoryApprovalStore(), f.Store, f.Access, f.Time, Microsoft.Extensions.Options.Options.Create(new KmsOptions())));
    }

    private static async Task<ApprovalRequest> RequestKeyDestructionAsync(ServiceFixture f, ApprovalService approvals, string requester)
    {
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Keys.ScheduleDeletionAsync(keyId, 7, None);
        f.Access.Principal = requester;
        return await approvals.RequestDestructionAsync(keyId, null, "compromised", None);
    }
}

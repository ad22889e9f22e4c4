using Azure;
using Azure.Storage.Blobs;
using Kms.Client.Models;
using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>Long-running operations through KmsClient: staged rotation, rewrap, revocation with approvals, steering, root-key rotation.</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsClientOperationsTests(KmsHostFixture host)
{
    private readonly KmsClient _client = KmsTestClients.Admin(host);

    private async Task<string> KeyAsync() => (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;

    [Fact]
    public async Task StartRotation_StagedRotation_CompletesPromotesVersion2AndIsListed()
    {
        var keyId = await KeyAsync();

        var started = await _client.StartRotationAsync(keyId);
        var done = await KmsTestClients.WaitForFinalAsync(_client, started.Value.OperationId);
        var listed = new List<KmsOperation>();
        await foreach (var operation in _client.GetOperationsAsync(new OperationQuery { KeyId = keyId, Type = "rotation" }))
        {
            listed.Add(operation);
        }

        var key = await _client.GetKeyAsync(keyId);
        Assert.Equal(202, started.GetRawResponse().Status);
        Assert.Equal((OperationStates.Completed, "rotation", keyId), (done.State, done.Type, done.KeyId));
        Assert.Equal(2, key.Value.PrimaryVersion);
        Assert.Contains(listed, o => o.OperationId == started.Value.OperationId);
    }

    [Fact]
    public async Task StartRewrap_BlobContainer_MovesTheStoredCiphertextToThePrimaryVersion()
    {
        var keyId = await KeyAsync();
        var container = new BlobServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetBlobContainerClient(LocalStack.UniqueName("rwclient"));
        await container.CreateAsync();
        var encrypted = await _client.EncryptAsync(keyId, "stored secret"u8.ToArray());
        await container.GetBlobClient("item-1").UploadAsync(BinaryData.FromBytes(encrypted.Value.Ciphertext));
        await _client.RotateKeyAsync(keyId);

        var started = await _client.StartRewrapAsync(new RewrapJobOptions(keyId, RewrapSource.Blobs("local", container.Name)));
        var done = await KmsTestClients.WaitForFinalAsync(_client, started.Value.OperationId);
        var stored = (await container.GetBlobClient("item-1").DownloadContentAsync()).Value.Content.ToArray();
        var opened = await _client.DecryptAsync(stored);

        Assert.Equal(OperationStates.Completed, done.State);
        Assert.Equal(1, done.Progress!.Done);
        Assert.Equal("stored secret"u8.ToArray(), opened.Value.Plaintext);
        Assert.Equal(2, opened.Value.Version);
        await container.DeleteAsync();
    }

    [Fact]
    public async Task RevokeKeyVersions_ApprovedByTwoApprovers_RefusesTheVersionAndCompletes()
    {
        var keyId = await KeyAsync();
        var old = await _client.EncryptAsync(keyId, "leaked"u8.ToArray());

        var started = await _client.RevokeKeyVersionsAsync(keyId, new RevocationOptions([1], "client drill"));
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => _client.DecryptAsync(old.Value.Ciphertext));
        var waiting = await KmsTestClients.WaitUntilAsync(_client, started.Value.OperationId, o => o.Step == "awaiting-approvals" || o.IsFinal);
        var ownApproval = await Assert.ThrowsAsync<RequestFailedException>(() =>
            KmsTestClients.Create(host, "client-admin", KmsRoles.Approver).ApproveOperationAsync(started.Value.OperationId));
        foreach (var approver in new[] { "client-approver-1", "client-approver-2" })
        {
            var approved = await KmsTestClients.Create(host, approver, KmsRoles.Approver).ApproveOperationAsync(started.Value.OperationId, "ticket SEC-9");
            Assert.Equal(202, approved.GetRawResponse().Status);
        }

        var done = await KmsTestClients.WaitForFinalAsync(_client, started.Value.OperationId);

        Assert.Equal((409, "KeyVersionRevoked"), (refused.Status, refused.ErrorCode));
        Assert.Equal("awaiting-approvals", waiting.Step);
        Assert.Equal((409, "ApprovalNotAllowed"), (ownApproval.Status, ownApproval.ErrorCode));
        Assert.Equal(OperationStates.Completed, done.State);
        Assert.Equal(["client-approver-1", "client-approver-2"], done.Approvals!.Received.Select(a => a.Principal).Order());
        Assert.Equal(2, (await _client.GetKeyAsync(keyId)).Value.PrimaryVersion);
    }

    [Fact]
    public async Task PauseResume_DeletionOperationInItsWaitingPeriod_FollowEachStateAndCancelIsRefusedForADeletion()
    {
        var keyId = await KeyAsync();
        await _client.ScheduleKeyDeletionAsync(keyId, 7);
        var deletion = await FirstOperationAsync(new OperationQuery { KeyId = keyId, Type = "deletion" });
        await KmsTestClients.WaitUntilAsync(_client, deletion.OperationId, o => o.State == OperationStates.Running || o.IsFinal);

        var notPaused = await Assert.ThrowsAsync<RequestFailedException>(() => _client.ResumeOperationAsync(deletion.OperationId));
        await _client.PauseOperationAsync(deletion.OperationId);
        var paused = await KmsTestClients.WaitUntilAsync(_client, deletion.OperationId, o => o.State == OperationStates.Paused || o.IsFinal);
        await _client.ResumeOperationAsync(deletion.OperationId);
        var resumed = await KmsTestClients.WaitUntilAsync(_client, deletion.OperationId, o => o.State != OperationStates.Paused);
        var cancelRefused = await Assert.ThrowsAsync<RequestFailedException>(() => _client.CancelOperationAsync(deletion.OperationId));
        await _client.CancelKeyDeletionAsync(keyId);
        var stopped = await KmsTestClients.WaitForFinalAsync(_client, deletion.OperationId);

        Assert.Equal((409, "OperationConflict"), (notPaused.Status, notPaused.ErrorCode));
        Assert.Equal(OperationStates.Paused, paused.State);
        Assert.Equal(OperationStates.Running, resumed.State);
        Assert.Equal((409, "OperationConflict"), (cancelRefused.Status, cancelRefused.ErrorCode));
        Assert.Contains("cancel-deletion", cancelRefused.Message, StringComparison.Ordinal);
        Assert.True(stopped.IsFinal);
    }

    [Fact]
    public async Task CancelOperation_RevocationAwaitingApprovals_EndsCanceled()
    {
        var keyId = await KeyAsync();
        var started = await _client.RevokeKeyVersionsAsync(keyId, new RevocationOptions([1], "client cancel drill"));
        await KmsTestClients.WaitUntilAsync(_client, started.Value.OperationId, o => o.Step == "awaiting-approvals" || o.IsFinal);

        await _client.CancelOperationAsync(started.Value.OperationId);
        var canceled = await KmsTestClients.WaitForFinalAsync(_client, started.Value.OperationId);

        Assert.Equal(OperationStates.Canceled, canceled.State);
    }

    [Fact]
    public async Task GetOperation_UnknownId_ThrowsOperationNotFound404()
    {
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetOperationAsync("rotation-" + Guid.NewGuid().ToString("N")));

        Assert.Equal((404, "OperationNotFound"), (failure.Status, failure.ErrorCode));
    }

    [Fact]
    public async Task StartRootKeyRotation_SecondStartWhileRunning_ConflictsAndTheFirstCompletesWithDataStillOpening()
    {
        var keyId = await KeyAsync();
        var before = await _client.EncryptAsync(keyId, "under the old root"u8.ToArray());

        var started = await _client.StartRootKeyRotationAsync();
        var second = await Assert.ThrowsAsync<RequestFailedException>(() => _client.StartRootKeyRotationAsync());
        var done = await KmsTestClients.WaitForFinalAsync(_client, started.Value.OperationId);
        var opened = await _client.DecryptAsync(before.Value.Ciphertext);

        Assert.Equal(("rootrotation", null), (started.Value.Type, started.Value.KeyId));
        Assert.Equal((409, "OperationConflict"), (second.Status, second.ErrorCode));
        Assert.Equal(OperationStates.Completed, done.State);
        Assert.Contains("old-root-retired", done.Checkpoints);
        Assert.Equal("under the old root"u8.ToArray(), opened.Value.Plaintext);
    }

    private async Task<KmsOperation> FirstOperationAsync(OperationQuery query)
    {
        await foreach (var operation in _client.GetOperationsAsync(query))
        {
            return operation;
        }

        Assert.Fail("No operation listed.");
        return null!;
    }
}

using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Storage.Tables.Tests;

public sealed class TableApprovalStoreTests : IClassFixture<StoreFixture>
{
    private readonly StoreFixture _fixture;

    public TableApprovalStoreTests(StoreFixture fixture) => _fixture = fixture;

    private static string NewKeyId() => Guid.NewGuid().ToString("D");

    /// <summary>Records hold their approvals in a list, compared by reference: compare the rest and the list apart.</summary>
    private static void AssertSameRequest(ApprovalRequest expected, ApprovalRequest? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Approvals = actual.Approvals }, actual);
        Assert.Equal(expected.Approvals, actual.Approvals);
    }

    [Fact]
    public async Task CreateAsync_NewRequest_RoundTrips()
    {
        // Arrange
        var request = Records.DestroyRequest(NewKeyId(), version: 3, reason: "compromised \"laptop\" ✓", approvals:
        [
            new Approval("first@example.com", Records.Created.AddMinutes(5), "ok"),
            new Approval("second@example.com", Records.Created.AddMinutes(6), null),
        ]);

        // Act
        var created = await _fixture.Approvals.CreateAsync(request, CancellationToken.None);
        var read = await _fixture.Approvals.GetAsync(request.Id, CancellationToken.None);

        // Assert
        Assert.False(string.IsNullOrEmpty(created.ETag));
        AssertSameRequest(request with { ETag = created.ETag }, read);
    }

    [Fact]
    public async Task CreateAsync_WholeKeyWithoutReasonOrApprovals_ReadsBackNullsAndEmptyList()
    {
        // Arrange
        var request = Records.DestroyRequest(NewKeyId(), version: null, reason: null);

        // Act
        await _fixture.Approvals.CreateAsync(request, CancellationToken.None);
        var read = await _fixture.Approvals.GetAsync(request.Id, CancellationToken.None);

        // Assert
        Assert.NotNull(read);
        Assert.Equal(ApprovalRequest.DestroyKey, read.Operation);
        Assert.Null(read.Version);
        Assert.Null(read.Reason);
        Assert.Empty(read.Approvals);
        Assert.Equal(ApprovalStatus.Pending, read.Status);
    }

    [Fact]
    public async Task CreateAsync_SameIdTwice_ThrowsConcurrentModification()
    {
        // Arrange
        var request = Records.DestroyRequest(NewKeyId());
        await _fixture.Approvals.CreateAsync(request, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Approvals.CreateAsync(request, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
    }

    [Fact]
    public async Task GetAsync_UnknownId_ReturnsNull()
    {
        // Act
        var read = await _fixture.Approvals.GetAsync(Guid.NewGuid().ToString("D"), CancellationToken.None);

        // Assert
        Assert.Null(read);
    }

    [Fact]
    public async Task UpdateAsync_CurrentETag_StoresApprovalsAndStatus()
    {
        // Arrange
        var created = await _fixture.Approvals.CreateAsync(Records.DestroyRequest(NewKeyId()), CancellationToken.None);
        var approved = created with
        {
            Approvals =
            [
                new Approval("first@example.com", Records.Created.AddMinutes(1), null),
                new Approval("second@example.com", Records.Created.AddMinutes(2), "agreed"),
            ],
            Status = ApprovalStatus.Approved,
        };

        // Act
        var updated = await _fixture.Approvals.UpdateAsync(approved, CancellationToken.None);

        // Assert
        var read = await _fixture.Approvals.GetAsync(created.Id, CancellationToken.None);
        AssertSameRequest(approved with { ETag = updated.ETag }, read);
        Assert.NotEqual(created.ETag, updated.ETag);
    }

    [Fact]
    public async Task UpdateAsync_StaleETag_ThrowsConcurrentModificationAndKeepsRow()
    {
        // Arrange: two approvers read the same request; the first one's approval must survive the second's write.
        var stale = await _fixture.Approvals.CreateAsync(Records.DestroyRequest(NewKeyId()), CancellationToken.None);
        var current = await _fixture.Approvals.UpdateAsync(
            stale with { Approvals = [new Approval("first@example.com", Records.Created.AddMinutes(1), null)] }, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Approvals.UpdateAsync(
            stale with { Approvals = [new Approval("second@example.com", Records.Created.AddMinutes(2), null)] }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        AssertSameRequest(current, await _fixture.Approvals.GetAsync(stale.Id, CancellationToken.None));
    }

    [Fact]
    public async Task UpdateAsync_RequestNotStored_ThrowsConcurrentModification()
    {
        // Arrange
        var created = await _fixture.Approvals.CreateAsync(Records.DestroyRequest(NewKeyId()), CancellationToken.None);
        var never = Records.DestroyRequest(NewKeyId()) with { ETag = created.ETag };

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Approvals.UpdateAsync(never, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        Assert.Null(await _fixture.Approvals.GetAsync(never.Id, CancellationToken.None));
    }

    [Fact]
    public async Task UpdateAsync_RecordWithoutETag_ThrowsArgumentException()
    {
        // Act / Assert
        await Assert.ThrowsAsync<ArgumentException>(() => _fixture.Approvals.UpdateAsync(Records.DestroyRequest(NewKeyId()), CancellationToken.None));
    }

    [Fact]
    public async Task ListForKeyAsync_ThreeRequests_ReturnsOnlyThoseNewestFirst()
    {
        // Arrange: created out of order, so neither write order nor id order gives the expected result by luck.
        var keyId = NewKeyId();
        var middle = await _fixture.Approvals.CreateAsync(Records.DestroyRequest(keyId, minutesAfterCreated: 10), CancellationToken.None);
        var newest = await _fixture.Approvals.CreateAsync(Records.DestroyRequest(keyId, minutesAfterCreated: 20, version: null), CancellationToken.None);
        var oldest = await _fixture.Approvals.CreateAsync(Records.DestroyRequest(keyId, minutesAfterCreated: 0), CancellationToken.None);
        await _fixture.Approvals.CreateAsync(Records.DestroyRequest(NewKeyId(), minutesAfterCreated: 15), CancellationToken.None);

        // Act
        var listed = await _fixture.Approvals.ListForKeyAsync(keyId, CancellationToken.None);

        // Assert
        Assert.Equal([newest.Id, middle.Id, oldest.Id], listed.Select(r => r.Id));
        Assert.All(listed, r => Assert.Equal(keyId, r.KeyId));
    }

    [Fact]
    public async Task ListForKeyAsync_KeyIdWithQuote_IsQuotedSafely()
    {
        // Arrange: a filter built by string concatenation would break (or widen) on the quote.
        await _fixture.Approvals.CreateAsync(Records.DestroyRequest(NewKeyId()), CancellationToken.None);

        // Act
        var listed = await _fixture.Approvals.ListForKeyAsync("x' or KeyId ne 'x", CancellationToken.None);

        // Assert
        Assert.Empty(listed);
    }
}

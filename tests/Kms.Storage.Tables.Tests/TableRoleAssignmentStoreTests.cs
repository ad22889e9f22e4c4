using Kms.Core.Errors;
using Kms.Testing;

namespace Kms.Storage.Tables.Tests;

public sealed class TableRoleAssignmentStoreTests : IClassFixture<StoreFixture>
{
    private readonly StoreFixture _fixture;

    public TableRoleAssignmentStoreTests(StoreFixture fixture) => _fixture = fixture;

    private static string NewPrincipal() => LocalStack.UniqueName("user-") + "@example.com";

    [Fact]
    public async Task CreateAsync_NewAssignment_IsListedForItsPrincipal()
    {
        // Arrange
        var assignment = Records.Assignment(NewPrincipal(), "KeyAdmin", Guid.NewGuid().ToString("D"));

        // Act
        var created = await _fixture.RoleAssignments.CreateAsync(assignment, CancellationToken.None);
        var listed = await _fixture.RoleAssignments.ListForPrincipalAsync(assignment.Principal, CancellationToken.None);

        // Assert
        Assert.Equal(assignment, created);
        Assert.Equal([assignment], listed);
    }

    [Fact]
    public async Task CreateAsync_SameIdTwice_ThrowsConcurrentModification()
    {
        // Arrange
        var assignment = Records.Assignment(NewPrincipal());
        await _fixture.RoleAssignments.CreateAsync(assignment, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _fixture.RoleAssignments.CreateAsync(assignment with { Role = "Admin" }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        var listed = await _fixture.RoleAssignments.ListForPrincipalAsync(assignment.Principal, CancellationToken.None);
        Assert.Equal("KeyUser", Assert.Single(listed).Role);
    }

    [Fact]
    public async Task ListForPrincipalAsync_SeveralPrincipals_ReturnsOnlyThatPrincipalsOrderedById()
    {
        // Arrange
        var principal = NewPrincipal();
        var mine = new[] { Records.Assignment(principal, "KeyUser"), Records.Assignment(principal, "Auditor"), Records.Assignment(principal, "KeyAdmin") };
        foreach (var assignment in mine)
        {
            await _fixture.RoleAssignments.CreateAsync(assignment, CancellationToken.None);
        }

        await _fixture.RoleAssignments.CreateAsync(Records.Assignment(NewPrincipal()), CancellationToken.None);
        await _fixture.RoleAssignments.CreateAsync(Records.Assignment(principal.ToUpperInvariant()), CancellationToken.None);

        // Act
        var listed = await _fixture.RoleAssignments.ListForPrincipalAsync(principal, CancellationToken.None);

        // Assert
        Assert.Equal(mine.OrderBy(a => a.Id, StringComparer.Ordinal), listed);
    }

    [Fact]
    public async Task ListForPrincipalAsync_UnknownPrincipal_ReturnsEmpty()
    {
        // Act
        var listed = await _fixture.RoleAssignments.ListForPrincipalAsync(NewPrincipal(), CancellationToken.None);

        // Assert
        Assert.Empty(listed);
    }

    [Fact]
    public async Task ListForPrincipalAsync_PrincipalWithQuote_IsQuotedSafely()
    {
        // Arrange: a filter built by string concatenation would break (or widen) on the quote.
        await _fixture.RoleAssignments.CreateAsync(Records.Assignment(NewPrincipal()), CancellationToken.None);

        // Act
        var listed = await _fixture.RoleAssignments.ListForPrincipalAsync("x' or Principal ne 'x", CancellationToken.None);

        // Assert
        Assert.Empty(listed);
    }

    [Fact]
    public async Task ListAsync_NoPrincipal_ReturnsEveryAssignmentOrderedByPrincipalThenId()
    {
        // Arrange: tables of its own, so the listing holds exactly what this test wrote.
        await using var fixture = await StoreFixture.CreateAsync();
        var assignments = new[]
        {
            Records.Assignment("zoe@example.com"),
            Records.Assignment("alice@example.com"),
            Records.Assignment("alice@example.com", "Auditor"),
            Records.Assignment("spiffe://cluster/ns/payments#sa"),
            Records.Assignment("Bob@example.com"),
        };
        foreach (var assignment in assignments)
        {
            await fixture.RoleAssignments.CreateAsync(assignment, CancellationToken.None);
        }

        // Act
        var listed = await fixture.RoleAssignments.ListAsync(null, CancellationToken.None);

        // Assert
        Assert.Equal(assignments.OrderBy(a => a.Principal, StringComparer.Ordinal).ThenBy(a => a.Id, StringComparer.Ordinal), listed);
    }

    [Fact]
    public async Task ListAsync_Principal_ReturnsOnlyThatPrincipal()
    {
        // Arrange
        var principal = NewPrincipal();
        var mine = await _fixture.RoleAssignments.CreateAsync(Records.Assignment(principal), CancellationToken.None);
        await _fixture.RoleAssignments.CreateAsync(Records.Assignment(NewPrincipal()), CancellationToken.None);

        // Act
        var listed = await _fixture.RoleAssignments.ListAsync(principal, CancellationToken.None);

        // Assert
        Assert.Equal([mine], listed);
    }

    [Fact]
    public async Task DeleteAsync_ExistingId_ReturnsTrueAndRemovesOnlyThatAssignment()
    {
        // Arrange
        var principal = NewPrincipal();
        var doomed = await _fixture.RoleAssignments.CreateAsync(Records.Assignment(principal), CancellationToken.None);
        var kept = await _fixture.RoleAssignments.CreateAsync(Records.Assignment(principal, "Auditor"), CancellationToken.None);

        // Act
        var deleted = await _fixture.RoleAssignments.DeleteAsync(doomed.Id, CancellationToken.None);

        // Assert
        Assert.True(deleted);
        Assert.Equal([kept], await _fixture.RoleAssignments.ListForPrincipalAsync(principal, CancellationToken.None));
    }

    [Fact]
    public async Task DeleteAsync_MissingId_ReturnsFalse()
    {
        // Act
        var deleted = await _fixture.RoleAssignments.DeleteAsync(Guid.NewGuid().ToString("D"), CancellationToken.None);

        // Assert
        Assert.False(deleted);
    }

    [Fact]
    public async Task DeleteAsync_IdDeletedTwice_SecondReturnsFalse()
    {
        // Arrange
        var created = await _fixture.RoleAssignments.CreateAsync(Records.Assignment(NewPrincipal()), CancellationToken.None);
        await _fixture.RoleAssignments.DeleteAsync(created.Id, CancellationToken.None);

        // Act
        var deleted = await _fixture.RoleAssignments.DeleteAsync(created.Id, CancellationToken.None);

        // Assert
        Assert.False(deleted);
    }

    [Theory]
    [InlineData("https://sts.example.com/tenant/users#42")]
    [InlineData("CONTOSO\\svc-payments")]
    [InlineData("what?/who#")]
    [InlineData("tab\there\u0001")]
    [InlineData("ünïcode ✓ 𝄞")]
    public async Task CreateAsync_PrincipalWithCharactersTableKeysRefuse_RoundTripsAndDeletes(string suffix)
    {
        // Arrange
        var principal = LocalStack.UniqueName("p") + suffix;
        var assignment = Records.Assignment(principal);

        // Act
        await _fixture.RoleAssignments.CreateAsync(assignment, CancellationToken.None);
        var listed = await _fixture.RoleAssignments.ListForPrincipalAsync(principal, CancellationToken.None);
        var deleted = await _fixture.RoleAssignments.DeleteAsync(assignment.Id, CancellationToken.None);

        // Assert
        Assert.Equal([assignment], listed);
        Assert.True(deleted);
        Assert.Empty(await _fixture.RoleAssignments.ListForPrincipalAsync(principal, CancellationToken.None));
    }

    [Fact]
    public async Task CreateAsync_LongNonAsciiPrincipal_RoundTrips()
    {
        // Arrange: 256 three-byte characters; a reversible encoding of these would pass the table key size limit.
        var principal = LocalStack.UniqueName("p") + new string('漢', 256);
        var assignment = Records.Assignment(principal);

        // Act
        await _fixture.RoleAssignments.CreateAsync(assignment, CancellationToken.None);
        var listed = await _fixture.RoleAssignments.ListForPrincipalAsync(principal, CancellationToken.None);

        // Assert
        Assert.Equal([assignment], listed);
    }
}

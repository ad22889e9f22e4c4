namespace Kms.Api.Tests.Fuzz;

/// <summary>
/// The fuzz test gets a host of its own: thousands of requests with an admin token may start rotations, revocations and a
/// root-key rotation on its throw-away keys, which must not disturb the tests that share <see cref="KmsHostCollection"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FuzzHostCollection : ICollectionFixture<KmsHostFixture>
{
    public const string Name = "KMS fuzz host";
}

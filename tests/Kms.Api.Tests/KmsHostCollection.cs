namespace Kms.Api.Tests;

/// <summary>The API tests share one in-process host (see <see cref="KmsHostFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class KmsHostCollection : ICollectionFixture<KmsHostFixture>
{
    public const string Name = "KMS host";
}

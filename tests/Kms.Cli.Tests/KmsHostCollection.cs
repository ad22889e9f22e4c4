using Kms.Testing;

namespace Kms.Cli.Tests;

/// <summary>The CLI's command tests share one in-process KMS (see <see cref="KmsHostFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class KmsHostCollection : ICollectionFixture<KmsHostFixture>
{
    public const string Name = "KMS host";
}

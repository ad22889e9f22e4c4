using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>The KmsClient integration tests share one in-process KMS on SoftHSM2 and Azurite (<see cref="KmsHostFixture"/>).</summary>
[CollectionDefinition(Name)]
public sealed class KmsClientCollection : ICollectionFixture<KmsHostFixture>
{
    public const string Name = "KmsClient against the KMS host";
}

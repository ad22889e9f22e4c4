using Kms.Testing;

namespace Kms.KubernetesPlugin.Tests;

[CollectionDefinition(Name)]
public sealed class PluginCollection : ICollectionFixture<KmsHostFixture>
{
    public const string Name = "Kubernetes KMS plugin against the KMS host";
}

namespace Kms.KubernetesPlugin;

/// <summary>
/// The <c>key_id</c> the plugin reports: <c>{kms key id}:v{version}</c>. KMS key ids are never reused and a key's
/// versions only grow, so the value changes exactly when the key's primary version changes and never comes back,
/// which is what the API server relies on to notice a rotation.
/// </summary>
internal static class PluginKeyId
{
    public static string Format(string kmsKeyId, int version) => $"{kmsKeyId}:v{version}";
}

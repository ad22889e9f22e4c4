using System.Globalization;
using System.Text;
using Google.Protobuf;

namespace Kms.KubernetesPlugin;

/// <summary>
/// Annotations stored by the API server beside each encrypted DEK seed. The API server requires the keys to be fully
/// qualified domain names (so not <c>kms.example/version</c>); together they are a few dozen bytes, far from the 32 kB limit.
/// Informational only: decryption never trusts them, the KMS ciphertext names its own key and version.
/// </summary>
internal static class KmsAnnotations
{
    public const string KeyId = "key-id.kms.example.com";
    public const string KeyVersion = "key-version.kms.example.com";

    public static void Add(Google.Protobuf.Collections.MapField<string, ByteString> annotations, string kmsKeyId, int version)
    {
        annotations[KeyId] = ByteString.CopyFrom(kmsKeyId, Encoding.UTF8);
        annotations[KeyVersion] = ByteString.CopyFrom(version.ToString(CultureInfo.InvariantCulture), Encoding.UTF8);
    }
}

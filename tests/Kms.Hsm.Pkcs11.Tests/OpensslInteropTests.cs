using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Kms.Core;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>Signatures from the HSM verify with openssl, an implementation independent of .NET.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class OpensslInteropTests : IDisposable
{
    private readonly SoftHsmFixture _fixture;
    private readonly string _directory = Directory.CreateTempSubdirectory("kms-openssl-").FullName;

    public OpensslInteropTests(SoftHsmFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(KeySpec.EcP256, SigningAlgorithm.EcdsaSha256)]
    [InlineData(KeySpec.EcP384, SigningAlgorithm.EcdsaSha384)]
    [InlineData(KeySpec.Rsa2048, SigningAlgorithm.RsassaPssSha256)]
    [InlineData(KeySpec.Rsa3072, SigningAlgorithm.RsassaPssSha384)]
    [InlineData(KeySpec.Rsa2048, SigningAlgorithm.RsassaPkcs1V15Sha512)]
    public void SignDigest_Signature_VerifiesWithOpenssl(KeySpec spec, SigningAlgorithm algorithm)
    {
        var message = Encoding.UTF8.GetBytes($"openssl checks {algorithm}");
        var signature = _fixture.Hsm.SignDigest(_fixture.FreshRef(spec), algorithm, algorithm.HashData(message));

        var (exitCode, output) = OpensslVerify(spec, algorithm, message, signature);

        Assert.True(exitCode == 0, output);
        Assert.Contains("Verified OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public void SignDigest_TamperedSignature_FailsOpensslVerification()
    {
        const KeySpec spec = KeySpec.EcP256;
        const SigningAlgorithm algorithm = SigningAlgorithm.EcdsaSha256;
        var message = Encoding.UTF8.GetBytes("openssl must refuse this");
        var signature = _fixture.Hsm.SignDigest(_fixture.FreshRef(spec), algorithm, algorithm.HashData(message));
        message[0] ^= 1;

        var (exitCode, _) = OpensslVerify(spec, algorithm, message, signature);

        Assert.NotEqual(0, exitCode);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (int ExitCode, string Output) OpensslVerify(KeySpec spec, SigningAlgorithm algorithm, byte[] message, byte[] signature)
    {
        var publicKey = Path.Combine(_directory, "public.pem");
        var messageFile = Path.Combine(_directory, "message.bin");
        var signatureFile = Path.Combine(_directory, "signature.bin");
        File.WriteAllText(publicKey, PemEncoding.WriteString("PUBLIC KEY", _fixture.Material(spec).PublicKey!));
        File.WriteAllBytes(messageFile, message);
        File.WriteAllBytes(signatureFile, signature);

        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "dgst", "-" + algorithm.Hash().Name!.ToLowerInvariant(), "-verify", publicKey, "-signature", signatureFile })
        {
            start.ArgumentList.Add(argument);
        }

        if (algorithm.IsPss())
        {
            // Salt length -1 means "as long as the digest", which is what the connector signs with.
            foreach (var argument in new[] { "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1" })
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.ArgumentList.Add(messageFile);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}

using System.Security.Cryptography;
using System.Text;
using Kms.Testing;

namespace Kms.Cli.Tests.Commands;

[Collection(KmsHostCollection.Name)]
public sealed class SigningCommandsTests(KmsHostFixture host) : IDisposable
{
    private readonly HostCli _cli = new(host);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task SignVerify_EcKeyDefaultAlgorithm_ValidExit0_TamperedExit7()
    {
        var keyId = await _cli.CreateKeyAsync("EC_P256");
        var message = Encoding.UTF8.GetBytes("release 1.2.3");

        await File.WriteAllBytesAsync(_cli.PathOf("message.txt"), message);

        var signed = await _cli.JsonAsync("sign", "--key", keyId, "--in", "message.txt");
        var signature = signed.GetProperty("signature").GetString()!;
        var run = await _cli.RunAsync(["sign", "--key", keyId, "--out", "sig.bin"], stdin: message);
        var valid = await _cli.RunAsync(["verify", "--key", keyId, "--signature-file", "sig.bin"], stdin: message);
        var tampered = await _cli.RunAsync(["verify", "--key", keyId, "--signature-file", "sig.bin"], stdin: Encoding.UTF8.GetBytes("release 1.2.4"));

        Assert.Equal("ECDSA_SHA_256", signed.GetProperty("algorithm").GetString());
        Assert.NotEmpty(Convert.FromBase64String(signature));
        Assert.Equal(ExitCodes.Success, run.Code);
        Assert.Equal(ExitCodes.Success, valid.Code);
        Assert.StartsWith("valid:", valid.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.VerificationFailed, tampered.Code);
        Assert.StartsWith("INVALID:", tampered.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignDigest_VerifiesWithPublicKeyFromCli()
    {
        var keyId = await _cli.CreateKeyAsync("EC_P256");
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("payload"));

        var signed = await _cli.JsonAsync("sign", "--key", keyId, "--digest", Convert.ToHexString(digest));
        var pem = await _cli.RunAsync(["public-key", "--key", keyId]);
        var verified = await _cli.RunAsync(["verify", "--key", keyId, "--digest", Convert.ToHexString(digest), "--signature", signed.GetProperty("signature").GetString()!]);

        Assert.Equal(ExitCodes.Success, pem.Code);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem.Output);
        Assert.True(ecdsa.VerifyHash(digest, Convert.FromBase64String(signed.GetProperty("signature").GetString()!), DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(ExitCodes.Success, verified.Code);
    }

    [Fact]
    public async Task Sign_BothDigestAndIn_Exit2()
    {
        var run = await _cli.RunAsync(["sign", "--key", "k", "--digest", "00", "--in", "m.bin"]);

        Assert.Equal(ExitCodes.Usage, run.Code);
    }

    [Theory]
    [InlineData("sign", "--key", "k", "--out", "-", "--json")]
    [InlineData("mac", "--key", "k", "--out", "-", "--json")]
    [InlineData("random", "--bytes", "4", "--out", "-", "--json")]
    public async Task OutDashWithJson_Exit2BeforeAnyRequest(params string[] args)
    {
        var run = await _cli.RunAsync(args, stdin: [1]);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("both write to stdout", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Bytes);
    }

    [Fact]
    public async Task Sign_AesKey_Exit1WithKeyShowHint()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var run = await _cli.RunAsync(["sign", "--key", keyId, "--algorithm", "ECDSA_SHA_256"], stdin: [1]);

        Assert.Equal(ExitCodes.Failure, run.Code);
        Assert.Contains("IncorrectKeyUsage", run.Error, StringComparison.Ordinal);
        Assert.Contains($"kms keys show {keyId}", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MacVerifyMac_Matching0_Other7()
    {
        var keyId = await _cli.CreateKeyAsync("HMAC_SHA256");
        var message = RandomNumberGenerator.GetBytes(100);

        var mac = await _cli.RunAsync(["mac", "--key", keyId], stdin: message);
        var macValue = mac.Lines.Single(l => l.StartsWith("mac", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var valid = await _cli.RunAsync(["verify-mac", "--key", keyId, "--mac", macValue], stdin: message);
        var invalid = await _cli.RunAsync(["verify-mac", "--key", keyId, "--mac", macValue, "--json"], stdin: [.. message, 0]);

        Assert.Equal(ExitCodes.Success, mac.Code);
        Assert.Equal(32, Convert.FromBase64String(macValue).Length);
        Assert.Equal(ExitCodes.Success, valid.Code);
        Assert.Equal(ExitCodes.VerificationFailed, invalid.Code);
        Assert.False(invalid.Json().GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task PublicKey_Json_HasSpecAndPem()
    {
        var keyId = await _cli.CreateKeyAsync("RSA_2048");

        var json = await _cli.JsonAsync("public-key", "--key", keyId);

        Assert.Equal("RSA_2048", json.GetProperty("keySpec").GetString());
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", json.GetProperty("publicKey").GetString(), StringComparison.Ordinal);
    }
}

using System.Security.Cryptography;
using Kms.Testing;

namespace Kms.Cli.Tests.Commands;

[Collection(KmsHostCollection.Name)]
public sealed class CryptoCommandsTests(KmsHostFixture host) : IDisposable
{
    private readonly HostCli _cli = new(host);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task EncryptDecrypt_BinaryStdinToStdout_RoundTripsEveryByteValue()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        // Every byte value, including NUL, CR, LF and invalid UTF-8, so any text conversion on the way would show.
        var plaintext = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(RandomNumberGenerator.GetBytes(1000)).ToArray();

        var encrypted = await _cli.RunAsync(["encrypt", "--key", keyId, "--context", "tenant=acme"], stdin: plaintext);
        var decrypted = await _cli.RunAsync(["decrypt", "--context", "tenant=acme"], stdin: encrypted.Bytes);

        Assert.Equal(ExitCodes.Success, encrypted.Code);
        Assert.NotEqual(plaintext, encrypted.Bytes);
        Assert.Equal("", encrypted.Output);
        Assert.Equal(ExitCodes.Success, decrypted.Code);
        Assert.Equal(plaintext, decrypted.Bytes);
    }

    [Fact]
    public async Task EncryptDecrypt_FilesInAndOut_RoundTrip()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var plaintext = RandomNumberGenerator.GetBytes(4096);
        await File.WriteAllBytesAsync(_cli.PathOf("plain.bin"), plaintext);

        var encrypted = await _cli.RunAsync(["encrypt", "--key", keyId, "--in", "plain.bin", "--out", "cipher.bin"]);
        var decrypted = await _cli.RunAsync(["decrypt", "--in", "cipher.bin", "--out", "back.bin"]);

        Assert.Equal(ExitCodes.Success, encrypted.Code);
        Assert.Equal(ExitCodes.Success, decrypted.Code);
        Assert.Empty(decrypted.Bytes);
        Assert.Equal(plaintext, await File.ReadAllBytesAsync(_cli.PathOf("back.bin")));
    }

    [Fact]
    public async Task Decrypt_WrongContext_Exit1InvalidCiphertextAndNothingWritten()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var encrypted = await _cli.RunAsync(["encrypt", "--key", keyId, "--context", "tenant=acme"], stdin: [42, 43]);

        var run = await _cli.RunAsync(["decrypt", "--context", "tenant=evil"], stdin: encrypted.Bytes);

        Assert.Equal(ExitCodes.Failure, run.Code);
        Assert.Contains("InvalidCiphertext", run.Error, StringComparison.Ordinal);
        Assert.Contains("--context", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Bytes);
    }

    [Fact]
    public async Task Encrypt_Json_ApiAnswerWithBase64CiphertextThatDecrypts()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        await File.WriteAllBytesAsync(_cli.PathOf("plain.bin"), [7, 8, 9]);

        var json = await _cli.JsonAsync("encrypt", "--key", keyId, "--in", "plain.bin");

        Assert.Equal(keyId, json.GetProperty("keyId").GetString());
        Assert.Equal(1, json.GetProperty("version").GetInt32());
        var ciphertext = Convert.FromBase64String(json.GetProperty("ciphertext").GetString()!);
        var back = await _cli.RunAsync(["decrypt", "--json"], stdin: ciphertext);
        Assert.Equal(ExitCodes.Success, back.Code);
        Assert.Equal([7, 8, 9], Convert.FromBase64String(back.Json().GetProperty("plaintext").GetString()!));
        Assert.Empty(back.Bytes);
    }

    [Fact]
    public async Task Encrypt_StdoutIsTerminal_Exit2AndNoRequestSideEffects()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var run = await _cli.RunAsync(["encrypt", "--key", keyId], stdin: [1], terminal: true);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("stdout is a terminal", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Bytes);
    }

    [Fact]
    public async Task Encrypt_UnknownKey_Exit4()
    {
        var run = await _cli.RunAsync(["encrypt", "--key", "no-such-alias-" + Guid.NewGuid().ToString("N")], stdin: [1]);

        Assert.Equal(ExitCodes.NotFound, run.Code);
        Assert.Contains("KeyNotFound", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataKey_WithPlaintext_CiphertextDecryptsToThePlaintext()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var run = await _cli.RunAsync(["data-key", "--key", keyId, "--ciphertext-out", "dk.bin", "--plaintext-out", "dk.key", "--context", "purpose=files"]);
        var decrypted = await _cli.RunAsync(["decrypt", "--in", "dk.bin", "--context", "purpose=files"]);

        Assert.Equal(ExitCodes.Success, run.Code);
        Assert.Contains(run.Lines, l => l.StartsWith("keyId", StringComparison.Ordinal) && l.EndsWith(keyId, StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, l => l.StartsWith("plaintext", StringComparison.Ordinal));
        var dataKey = await File.ReadAllBytesAsync(_cli.PathOf("dk.key"));
        Assert.Equal(32, dataKey.Length);
        Assert.Equal(dataKey, decrypted.Bytes);
    }

    [Fact]
    public async Task DataKey_NoPlaintextJson_NoPlaintextMember()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var json = await _cli.JsonAsync("data-key", "--key", keyId, "--no-plaintext", "--key-spec", "AES_128");

        Assert.False(json.TryGetProperty("plaintext", out _));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("ciphertext").GetString()));
    }

    [Fact]
    public async Task Random_Bytes_Base64OfThatLengthAndJsonToo()
    {
        var text = await _cli.RunAsync(["random", "--bytes", "32"]);
        var json = await _cli.JsonAsync("random", "--bytes", "16");
        var raw = await _cli.RunAsync(["random", "--bytes", "8", "--out", "-"]);

        Assert.Equal(ExitCodes.Success, text.Code);
        Assert.Equal(32, Convert.FromBase64String(text.Output.Trim()).Length);
        Assert.Equal(16, Convert.FromBase64String(json.GetProperty("random").GetString()!).Length);
        Assert.Equal(8, raw.Bytes.Length);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1025")]
    [InlineData("many")]
    public async Task Random_BytesOutOfRange_Exit2(string bytes)
    {
        var run = await _cli.RunAsync(["random", "--bytes", bytes]);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("'--bytes' must be a whole number from 1 to 1024", run.Error, StringComparison.Ordinal);
    }
}

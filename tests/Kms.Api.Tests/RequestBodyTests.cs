using System.Text;
using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core;
using Kms.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kms.Api.Tests;

/// <summary>RequestBody reads bodies into pooled buffers: any size up to the limit, with or without Content-Length.</summary>
public sealed class RequestBodyTests
{
    private const int Limit = 256 * 1024;

    private readonly RequestBody _body = new(Options.Create(new KmsOptions { MaxRequestBodyBytes = Limit }));

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 1000)]
    [InlineData(true, 1000)]
    [InlineData(true, 64 * 1024)]
    public async Task ReadAsync_BodyLargerThanFirstBuffer_ReadsItAll(bool declareLength, int readSize)
    {
        var items = Enumerable.Range(0, 150).Select(i => $"{{\"plaintext\":\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', 700) + i))}\"}}");
        var json = $"{{\"items\":[{string.Join(',', items)}]}}";
        Assert.True(json.Length > 6 * RequestBody.InitialChunkedSize);

        var request = await _body.ReadAsync<EncryptRequestWire>(Request(json, declareLength, readSize), CancellationToken.None);

        Assert.Equal(150, request.Items!.Count);
        Assert.Equal(new string('x', 700) + 149, Encoding.UTF8.GetString(Base64Field.Required(request.Items[149].Plaintext, "plaintext")));
    }

    [Theory]
    [InlineData(Limit - 1)]
    [InlineData(Limit)]
    public async Task ReadJsonTextAsync_UpToTheLimit_WithoutLength_ReadsItAll(int size)
    {
        var json = "\"" + new string('a', size - 2) + "\"";

        Assert.Equal(json, await _body.ReadJsonTextAsync(Request(json, declareLength: false, readSize: 4096), CancellationToken.None));
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 100_000)]
    [InlineData(true, 100_000)]
    public async Task ReadAsync_OverTheLimit_PayloadTooLarge(bool declareLength, int extra)
    {
        var json = "\"" + new string('a', Limit - 2 + extra) + "\"";

        var e = await Assert.ThrowsAsync<KmsException>(() => _body.ReadAsync<EncryptRequestWire>(Request(json, declareLength, 8192), CancellationToken.None));

        Assert.Equal(KmsErrorCodes.PayloadTooLarge, e.Code);
        Assert.Equal($"The request body exceeds the limit of {Limit} bytes.", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_Empty_MalformedRequest(bool declareLength)
    {
        var e = await Assert.ThrowsAsync<KmsException>(() => _body.ReadAsync<EncryptRequestWire>(Request("", declareLength, 10), CancellationToken.None));

        Assert.Equal(KmsErrorCodes.MalformedRequest, e.Code);
        Assert.Equal("The request body is empty; a JSON object is required.", e.Message);
    }

    [Fact]
    public async Task ReadAsync_NotJson_UnsupportedMediaType()
    {
        var request = Request("{}", true, 10);
        request.ContentType = "text/plain";

        var e = await Assert.ThrowsAsync<KmsException>(() => _body.ReadAsync<EncryptRequestWire>(request, CancellationToken.None));

        Assert.Equal(KmsErrorCodes.UnsupportedMediaType, e.Code);
    }

    [Theory]
    [InlineData("{\"items\":[{\"plaintext\":\"QQ==\",}]}")]
    [InlineData("{\"plaintext\":\"QQ==\",\"unknown\":1}")]
    [InlineData("{\"plaintext\":\"QQ==\"")]
    [InlineData("null")]
    public async Task ReadAsync_BadJson_MalformedRequest(string json)
    {
        var e = await Assert.ThrowsAsync<KmsException>(() => _body.ReadAsync<EncryptRequestWire>(Request(json, true, 4), CancellationToken.None));

        Assert.Equal(KmsErrorCodes.MalformedRequest, e.Code);
        Assert.StartsWith(json == "null" ? "The request body must be a JSON object" : "The request body is not valid JSON for this operation", e.Message);
    }

    private static HttpRequest Request(string json, bool declareLength, int readSize)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var http = new DefaultHttpContext();
        http.Request.ContentType = "application/json";
        http.Request.ContentLength = declareLength ? bytes.Length : null;
        http.Request.Body = new TricklingStream(bytes, readSize);
        return http.Request;
    }

    /// <summary>A body that arrives at most <c>readSize</c> bytes per read, as a chunked body from a socket does.</summary>
    private sealed class TricklingStream(byte[] data, int readSize) : MemoryStream(data, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, readSize));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, readSize), cancellationToken);
    }
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Http;

/// <summary>
/// A JSON answer holding plaintext as byte arrays (written as base64 by the serializer, never as a string) that
/// zeroes them once written. Also registered for disposal with the response, which zeroes them when the answer is
/// never written (an audit failure replaces it with a problem).
/// </summary>
internal sealed class ZeroingJsonResult<T> : IResult, IDisposable
{
    private readonly T _value;
    private readonly IReadOnlyList<byte[]> _secrets;

    private ZeroingJsonResult(T value, IReadOnlyList<byte[]> secrets)
    {
        _value = value;
        _secrets = secrets;
    }

    public static ZeroingJsonResult<T> Create(HttpContext http, T value, IReadOnlyList<byte[]> secrets)
    {
        var result = new ZeroingJsonResult<T>(value, secrets);
        http.Response.RegisterForDispose(result);
        return result;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        try
        {
            // The content type Results.Json sends: application/json; charset=utf-8.
            await httpContext.Response.WriteAsJsonAsync(_value, KmsJson.Options);
        }
        finally
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var secret in _secrets)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}

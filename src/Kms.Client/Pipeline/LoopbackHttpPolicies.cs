using Azure.Core;
using Azure.Core.Pipeline;

namespace Kms.Client.Pipeline;

/// <summary>
/// Azure.Core's <see cref="BearerTokenAuthenticationPolicy"/> refuses plain http. A KMS on this machine
/// (<c>infra/local/up.sh</c>, tests) listens on http://127.0.0.1 where the token never leaves the host, so for a
/// loopback endpoint only, the request is presented as https to the authentication policy and turned back to http
/// right after it. <see cref="KmsClient"/> refuses plain http to any other host when it is constructed.
/// </summary>
internal static class LoopbackHttp
{
    private const string Marker = "Kms.Client.LoopbackHttp";

    public static bool IsLoopback(Uri endpoint) => endpoint.IsLoopback;

    /// <summary>Before the authentication policy: http to a loopback host is shown as https.</summary>
    public sealed class Enter : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            var uri = message.Request.Uri;
            if (uri.Scheme == Uri.UriSchemeHttp && uri.ToUri().IsLoopback)
            {
                uri.Scheme = Uri.UriSchemeHttps;
                message.SetProperty(Marker, true);
            }
        }
    }

    /// <summary>After the authentication policy: the request goes out as the http it was.</summary>
    public sealed class Exit : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.TryGetProperty(Marker, out var marked) && marked is true)
            {
                message.Request.Uri.Scheme = Uri.UriSchemeHttp;
                message.SetProperty(Marker, false);
            }
        }
    }
}

using Azure.Core;
using Azure.Identity;
using Kms.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Kms.KubernetesPlugin;

/// <summary>Builds the plugin host: Kestrel on the unix socket only (HTTP/2, as the API server's gRPC client speaks), one KmsClient.</summary>
public static class KubernetesPluginApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        var options = builder.Configuration.GetSection(KubernetesPluginOptions.SectionName).Get<KubernetesPluginOptions>()
            ?? new KubernetesPluginOptions();
        Validate(options);
        PrepareSocket(options.SocketPath);

        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.ListenUnixSocket(options.SocketPath, listen => listen.Protocols = HttpProtocols.Http2));

        builder.Services.Configure<KubernetesPluginOptions>(builder.Configuration.GetSection(KubernetesPluginOptions.SectionName));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => CreateKmsClient(sp.GetRequiredService<IOptions<KubernetesPluginOptions>>().Value));
        builder.Services.AddSingleton<KmsHealthProbe>();
        builder.Services.AddGrpc();

        var app = builder.Build();
        app.MapGrpcService<KeyManagementServiceImpl>();
        return app;
    }

    private static void Validate(KubernetesPluginOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.KeyId))
        {
            throw new InvalidOperationException($"{KubernetesPluginOptions.SectionName}:KeyId (KMS key id or alias) is required.");
        }

        if (options.KmsEndpoint is null)
        {
            throw new InvalidOperationException($"{KubernetesPluginOptions.SectionName}:KmsEndpoint is required.");
        }

        if (string.IsNullOrWhiteSpace(options.SocketPath))
        {
            throw new InvalidOperationException($"{KubernetesPluginOptions.SectionName}:SocketPath is required.");
        }

        // Checked at start: the credential reads the file when the first call resolves the client, which would turn a
        // wrong path into a failure of every Status/Encrypt/Decrypt instead of a clear refusal to start.
        if (options.DevCredential is { KeyFile.Length: > 0 } dev && !File.Exists(dev.KeyFile))
        {
            throw new InvalidOperationException(
                $"{KubernetesPluginOptions.SectionName}:DevCredential:KeyFile '{Path.GetFullPath(dev.KeyFile)}' does not exist "
                + "(a relative path is taken from the working directory, which `dotnet run` sets to the project folder: give an absolute path).");
        }
    }

    /// <summary>A socket file left by a previous run would make the bind fail; the directory may not exist yet on a fresh node.</summary>
    private static void PrepareSocket(string socketPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(socketPath))!);
        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
        }
    }

    private static KmsClient CreateKmsClient(KubernetesPluginOptions options)
    {
        var clientOptions = new KmsClientOptions { Audience = options.Audience };
        clientOptions.Retry.MaxRetries = options.KmsMaxRetries;
        TokenCredential credential = options.DevCredential is { KeyFile.Length: > 0 } dev
            ? KmsDevCredential.FromKeyFile(dev.KeyFile, dev.Principal, dev.Roles)
            : new DefaultAzureCredential();
        return new KmsClient(options.KmsEndpoint!, credential, clientOptions);
    }
}

using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Kms.Client;
using Kms.Client.AspNetCore;
using Kms.Client.Envelope;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Kms.Samples.SecureNotes;

/// <summary>The request body of <c>POST /notes</c>.</summary>
public sealed record NewNote(string? Title, string? Body);

/// <summary>
/// The SecureNotes app: notes whose bodies are envelope-encrypted with KMS data keys (cached, evicted on revocation
/// events) and stored in Azure Tables. <see cref="BuildApp"/> wires everything; Program.cs only runs it.
/// </summary>
public static class SecureNotesApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const int MaxTitleLength = 200;

    /// <summary>Body limit in UTF-8 bytes: the envelope message must fit a Table binary property (64 KiB).</summary>
    public const int MaxBodyBytes = 32 * 1024;

    /// <summary>The encryption context keys (values are not secret: they are stored in clear in every message).</summary>
    public const string ContextApp = "app";
    public const string ContextTenant = "tenant";
    public const string ContextNoteId = "noteId";

    /// <param name="args">Command-line arguments (configuration, e.g. <c>--urls</c>).</param>
    /// <param name="settings">Settings that win over every other source (tests pass theirs here).</param>
    /// <param name="configure">Last changes to the builder before the settings are read (tests add a log sink here).</param>
    public static WebApplication BuildApp(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        // --urls, ASPNETCORE_URLS or the settings; else the address README.md subscribes.
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        builder.WebHost.UseUrls(string.IsNullOrEmpty(urls) ? DefaultUrl : urls);

        // The webhook's secret travels in the query string, which the request logging of ASP.NET Core would write.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // Azure.Core's request/response logs stay off too (they could carry bodies): the SDK's own logging is Warning+.
        builder.Logging.AddFilter("Azure", LogLevel.Warning);
        configure?.Invoke(builder);

        var options = builder.Configuration.GetSection(SecureNotesOptions.Section).Get<SecureNotesOptions>() ?? new SecureNotesOptions();
        builder.Services.AddOptions<SecureNotesOptions>().Bind(builder.Configuration.GetSection(SecureNotesOptions.Section));
        builder.Services.AddProblemDetails();

        builder.Services.AddSingleton<TokenCredential>(sp => CreateCredential(options.Kms, builder.Environment));
        builder.Services.AddSingleton(sp => new KmsClient(options.Kms.Endpoint, sp.GetRequiredService<TokenCredential>(),
            new KmsClientOptions { Audience = options.Kms.Audience }));
        builder.Services.AddSingleton(sp => new CachingCryptoMaterialsManager(
            new KmsKeyring(sp.GetRequiredService<KmsClient>(), options.KeyAlias),
            new DataKeyCacheOptions
            {
                MaxAge = options.Cache.MaxAge,
                MaxMessagesEncrypted = options.Cache.MaxMessages,
                Capacity = options.Cache.Capacity,
                PartitionId = $"{options.AppName}:{options.Tenant}",
            }));
        // The revocation listener evicts from every IKmsKeyCacheInvalidator: the same instance the encryptor uses.
        builder.Services.AddSingleton<IKmsKeyCacheInvalidator>(sp => sp.GetRequiredService<CachingCryptoMaterialsManager>());
        builder.Services.AddSingleton(sp => new EnvelopeEncryptor(sp.GetRequiredService<CachingCryptoMaterialsManager>()));
        builder.Services.AddSingleton(sp => new NoteStore(CreateTableClient(options, sp)));
        builder.Services.AddSingleton<KeyBootstrap>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KeyBootstrap>());

        var webhook = !string.IsNullOrEmpty(options.Events.Secret);
        if (webhook)
        {
            builder.Services.AddKmsEvents(o => o.SharedSecrets.Add(options.Events.Secret!));
        }

        var app = builder.Build();
        app.UseStatusCodePages();

        var notes = app.MapGroup("/notes");
        notes.MapPost("", CreateNoteAsync);
        notes.MapGet("", ListNotesAsync);
        notes.MapGet("{id}", GetNoteAsync);

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kms.Samples.SecureNotes");
        if (webhook)
        {
            app.MapKmsEvents(options.Events.Path);
            app.Lifetime.ApplicationStarted.Register(() => LogSubscriptionHint(app, options, log));
        }
        else
        {
            app.Lifetime.ApplicationStarted.Register(() => log.LogWarning(
                "No SecureNotes:Events:Secret: the KMS events webhook is not mapped, so a revoked key's cached data keys are " +
                "dropped only after SecureNotes:Cache:MaxAge ({MaxAge}).", options.Cache.MaxAge));
        }

        return app;
    }

    /// <summary>The context every note body is encrypted under: the app, the tenant and the note id (none of them secret).</summary>
    public static IReadOnlyDictionary<string, string> EncryptionContext(SecureNotesOptions options, string noteId) =>
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ContextApp] = options.AppName,
            [ContextTenant] = options.Tenant,
            [ContextNoteId] = noteId,
        };

    private static async Task<IResult> CreateNoteAsync(NewNote? note, EnvelopeEncryptor encryptor, NoteStore store,
        IOptions<SecureNotesOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (note is null || string.IsNullOrWhiteSpace(note.Title) || note.Title.Length > MaxTitleLength || note.Body is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["title"] = [$"Required, 1 to {MaxTitleLength} characters."],
                ["body"] = ["Required."],
            });
        }

        var plaintext = Encoding.UTF8.GetBytes(note.Body);
        try
        {
            if (plaintext.Length > MaxBodyBytes)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"At most {MaxBodyBytes} bytes (UTF-8)."] });
            }

            var id = Guid.NewGuid().ToString("N");
            var log = loggers.CreateLogger("Kms.Samples.SecureNotes");
            byte[] message;
            try
            {
                message = await encryptor.EncryptAsync(plaintext, EncryptionContext(options.Value, id), cancellationToken);
            }
            catch (Exception e) when (KmsProblems.IsKmsFailure(e))
            {
                return KmsProblems.ToResult(e, log, "encrypting a new note");
            }

            var createdAt = DateTimeOffset.UtcNow;
            await store.AddAsync(options.Value.Tenant, new StoredNote(id, note.Title, message, createdAt), cancellationToken);
            log.LogInformation("Stored note {NoteId} ({Bytes} encrypted bytes)", id, message.Length);
            return Results.Created($"/notes/{id}", new { id, title = note.Title, createdAt });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static async Task<IResult> GetNoteAsync(string id, EnvelopeEncryptor encryptor, NoteStore store,
        IOptions<SecureNotesOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(id, "N", out _))
        {
            return NoteNotFound();
        }

        var stored = await store.GetAsync(options.Value.Tenant, id, cancellationToken);
        if (stored is null)
        {
            return NoteNotFound();
        }

        EnvelopeDecryptResult opened;
        try
        {
            // The expected context: a message stored under another tenant or note id is refused before any KMS call.
            opened = await encryptor.DecryptAsync(stored.EncryptedBody, EncryptionContext(options.Value, id), cancellationToken);
        }
        catch (Exception e) when (KmsProblems.IsKmsFailure(e))
        {
            return KmsProblems.ToResult(e, loggers.CreateLogger("Kms.Samples.SecureNotes"), $"reading note {id}");
        }

        try
        {
            return Results.Ok(new
            {
                id,
                title = stored.Title,
                body = Encoding.UTF8.GetString(opened.Plaintext),
                createdAt = stored.CreatedAt,
                keyId = opened.KeyId,
                keyVersion = opened.KeyVersion,
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(opened.Plaintext);
        }
    }

    private static async Task<IResult> ListNotesAsync(NoteStore store, IOptions<SecureNotesOptions> options, CancellationToken cancellationToken)
    {
        var list = await store.ListAsync(options.Value.Tenant, max: 1000, cancellationToken);
        return Results.Ok(list.Select(n => new { id = n.Id, title = n.Title, createdAt = n.CreatedAt }));
    }

    private static IResult NoteNotFound() =>
        Results.Problem("No note with that id.", statusCode: StatusCodes.Status404NotFound, title: "Note not found",
            type: "urn:secure-notes:error:NoteNotFound", extensions: new Dictionary<string, object?> { ["code"] = "NoteNotFound" });

    private static TokenCredential CreateCredential(SecureNotesOptions.KmsSettings kms, IHostEnvironment environment)
    {
        if (string.Equals(kms.Credential, "Azure", StringComparison.OrdinalIgnoreCase))
        {
            return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = kms.ManagedIdentityClientId });
        }

        if (!string.Equals(kms.Credential, "Dev", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("SecureNotes:Kms:Credential must be Dev (local dev issuer) or Azure (DefaultAzureCredential).");
        }

        var keyFile = ResolveFromRepositoryRoot(kms.DevIssuerKeyFile, environment.ContentRootPath);
        if (!File.Exists(keyFile))
        {
            throw new InvalidOperationException(
                $"The dev issuer key {keyFile} does not exist: start the local KMS with infra/local/up.sh (it creates the key), " +
                "or set SecureNotes:Kms:DevIssuerKeyFile.");
        }

        var roles = kms.DevRoles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return KmsDevCredential.FromKeyFile(keyFile, kms.DevPrincipal, roles);
    }

    private static TableClient CreateTableClient(SecureNotesOptions options, IServiceProvider services)
    {
        var storage = options.Storage;
        if (!string.IsNullOrEmpty(storage.ConnectionString))
        {
            return new TableClient(storage.ConnectionString, storage.Table);
        }

        if (storage.TableEndpoint is null)
        {
            throw new InvalidOperationException("Set SecureNotes:Storage:ConnectionString or SecureNotes:Storage:TableEndpoint.");
        }

        var credential = string.Equals(options.Kms.Credential, "Azure", StringComparison.OrdinalIgnoreCase)
            ? services.GetRequiredService<TokenCredential>()
            : new DefaultAzureCredential();
        return new TableClient(storage.TableEndpoint, storage.Table, credential);
    }

    /// <summary>
    /// A relative path is tried under the repository root (the first folder with KmsFunctions.sln above the working
    /// directory, then above the content root and the app's folder), else taken relative to the working directory.
    /// </summary>
    internal static string ResolveFromRepositoryRoot(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), contentRoot, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "KmsFunctions.sln")))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, path));
                }
            }
        }

        return Path.GetFullPath(path);
    }

    private static void LogSubscriptionHint(WebApplication app, SecureNotesOptions options, ILogger log)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !options.Kms.Endpoint.IsLoopback)
        {
            return;
        }

        // The local Event Grid stand-in takes subscriptions from the KMS host's settings only (docs/local-event-grid.md).
        // The secret is not logged: the placeholder names the setting it comes from.
        log.LogInformation(
            "KMS events webhook at {Address}{Path}. The local KMS delivers to it when started with " +
            "Kms__LocalEventGrid__Subscriptions__0__Name=secure-notes and " +
            "Kms__LocalEventGrid__Subscriptions__0__Endpoint='{Address}{Path}?secret=<SecureNotes:Events:Secret>' (see samples/Kms.Samples.SecureNotes/README.md).",
            address, options.Events.Path, address, options.Events.Path);
    }
}

using Azure;
using Kms.Client;
using Kms.Client.Models;
using Microsoft.Extensions.Options;

namespace Kms.Samples.SecureNotes;

/// <summary>
/// Runs once when the app starts, before it serves requests: makes sure the notes table exists and the KMS key named
/// by <see cref="SecureNotesOptions.KeyAlias"/> exists (an AES_256 key is created with that alias when the KMS answers
/// 404). A failure stops the start with the reason (e.g. the KMS is not running).
/// </summary>
public sealed class KeyBootstrap(KmsClient kms, NoteStore store, IOptions<SecureNotesOptions> options, ILogger<KeyBootstrap> logger) : IHostedService
{
    /// <summary>The key id behind the alias once the app started.</summary>
    public string? KeyId { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.EnsureTableAsync(cancellationToken);
        var alias = options.Value.KeyAlias;
        KeyId = await EnsureKeyAsync(alias, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<string> EnsureKeyAsync(string alias, CancellationToken cancellationToken)
    {
        try
        {
            var existing = (await kms.GetKeyAsync(alias, cancellationToken)).Value;
            logger.LogInformation("Notes are encrypted under KMS key {KeyId} (alias {Alias}, state {State}, primary version {Version})",
                existing.KeyId, alias, existing.State, existing.PrimaryVersion);
            return existing.KeyId;
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            // Not there yet: create it below.
        }

        try
        {
            var created = (await kms.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256)
            {
                Alias = alias,
                Description = "Data keys of the SecureNotes sample",
                Tags = { ["app"] = options.Value.AppName },
            }, cancellationToken)).Value;
            logger.LogInformation("Created KMS key {KeyId} with alias {Alias}", created.KeyId, alias);
            return created.KeyId;
        }
        catch (RequestFailedException e) when (e.ErrorCode == "AliasAlreadyExists")
        {
            // Another instance created it meanwhile.
            return (await kms.GetKeyAsync(alias, cancellationToken)).Value.KeyId;
        }
    }
}

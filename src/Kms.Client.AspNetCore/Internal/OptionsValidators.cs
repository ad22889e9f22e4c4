using Microsoft.Extensions.Options;

namespace Kms.Client.AspNetCore.Internal;

internal sealed class KmsEventsOptionsValidator : IValidateOptions<KmsEventsOptions>
{
    // A short secret in a URL can be guessed or brute-forced; 16 characters of a generated secret is plenty.
    internal const int MinSecretLength = 16;

    public ValidateOptionsResult Validate(string? name, KmsEventsOptions options)
    {
        var failures = new List<string>();
        if (options.SharedSecrets.Any(s => s is null || s.Length < MinSecretLength))
        {
            failures.Add($"KmsEventsOptions.SharedSecrets: each secret has at least {MinSecretLength} characters.");
        }

        if (string.IsNullOrWhiteSpace(options.SecretQueryParameter))
        {
            failures.Add("KmsEventsOptions.SecretQueryParameter is required.");
        }

        if (string.IsNullOrWhiteSpace(options.SecretHeader))
        {
            failures.Add("KmsEventsOptions.SecretHeader is required.");
        }

        if (options.AllowedRate is <= 0)
        {
            failures.Add("KmsEventsOptions.AllowedRate is positive (or null for any rate).");
        }

        if (options.MaxBodyBytes <= 0)
        {
            failures.Add("KmsEventsOptions.MaxBodyBytes is positive.");
        }

        if (options.DeduplicationCapacity < 0)
        {
            failures.Add("KmsEventsOptions.DeduplicationCapacity is 0 (off) or more.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class KmsRevocationPollingOptionsValidator : IValidateOptions<KmsRevocationPollingOptions>
{
    // Below a second the poller would load the KMS for no real gain in detection latency.
    internal static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public ValidateOptionsResult Validate(string? name, KmsRevocationPollingOptions options)
    {
        var failures = new List<string>();
        if (options.Interval < MinInterval)
        {
            failures.Add($"KmsRevocationPollingOptions.Interval is at least {MinInterval}.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add("KmsRevocationPollingOptions.RequestTimeout is positive.");
        }

        if (options.KeyIds.Count == 0)
        {
            failures.Add("KmsRevocationPollingOptions.KeyIds names at least one key.");
        }

        if (options.KeyIds.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("KmsRevocationPollingOptions.KeyIds holds an empty key id.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

namespace Kms.LocalHost.EventGrid;

/// <summary>One webhook event subscription of the local topic (an item of <c>Kms:LocalEventGrid:Subscriptions</c>).</summary>
public sealed class LocalEventGridSubscription
{
    /// <summary>Longest name: Event Grid's own limit for event subscription names.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Letters, digits and hyphens: it is a table partition key and a blob folder name.</summary>
    public string? Name { get; set; }

    /// <summary>Absolute http(s) URL that receives the OPTIONS handshake and one POST per event.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Event types delivered (compared ignoring case, as Event Grid does); empty means every type.</summary>
    public IList<string> IncludedEventTypes { get; } = [];

    /// <summary>Only events whose subject starts with this (ignoring case, Event Grid's default); unset means every subject.</summary>
    public string? SubjectBeginsWith { get; set; }

    /// <summary>Whether an event of <paramref name="type"/> about <paramref name="subject"/> goes to this subscription.</summary>
    public bool Matches(string type, string? subject)
    {
        if (IncludedEventTypes.Count > 0 && !IncludedEventTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        return string.IsNullOrEmpty(SubjectBeginsWith)
            || (subject is not null && subject.StartsWith(SubjectBeginsWith, StringComparison.OrdinalIgnoreCase));
    }

    internal void Validate(string path)
    {
        if (string.IsNullOrEmpty(Name) || Name.Length > MaxNameLength || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException($"{path}:Name must be 1 to {MaxNameLength} ASCII letters, digits and hyphens.", nameof(Name));
        }

        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"{path}:Endpoint must be an absolute http or https URL.", nameof(Endpoint));
        }

        if (IncludedEventTypes.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"{path}:IncludedEventTypes must not contain empty types.", nameof(IncludedEventTypes));
        }
    }
}

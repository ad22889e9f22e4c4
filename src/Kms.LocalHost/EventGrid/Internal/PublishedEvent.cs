namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>One event of an accepted batch: the attributes filters and logs use, and its JSON as received.</summary>
internal sealed record PublishedEvent(string Id, string Type, string? Subject, byte[] Json);

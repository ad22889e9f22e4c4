using System.Globalization;
using Kms.Core.Errors;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// Where an audit query stopped: the last record looked at (chain, the row holding it, its sequence). The next page
/// starts at that row and skips what was already seen, since a block holds many records.
/// </summary>
internal sealed record AuditPosition(string ChainId, string RowKey, long Sequence)
{
    private const string Kind = "audit|";

    public string ToToken() => ContinuationTokens.Wrap(Kind + ChainId + "|" + RowKey + "|" + Sequence.ToString(CultureInfo.InvariantCulture))!;

    public static AuditPosition Parse(string token)
    {
        if (ContinuationTokens.TryUnwrap(token, out var text) && text.StartsWith(Kind, StringComparison.Ordinal))
        {
            var parts = text[Kind.Length..].Split('|');
            if (parts.Length == 3 && parts[0].Length > 0 && parts[1].Length > 0 &&
                long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                return new AuditPosition(parts[0], parts[1], sequence);
            }
        }

        throw KmsErrors.Validation("The continuation token is not valid.");
    }
}

using System.Globalization;
using Kms.Api.Contracts;

namespace Kms.Cli.Output;

/// <summary>How an operation's status reads while it is watched: one status text, and a bar for terminals.</summary>
internal static class OperationProgress
{
    public const int BarWidth = 30;
    private static readonly char[] Spinner = ['|', '/', '-', '\\'];

    public static bool IsFinal(string state) => state is "COMPLETED" or "FAILED" or "CANCELED";

    public static int ExitCodeOf(string state) => state switch
    {
        "COMPLETED" => ExitCodes.Success,
        "FAILED" => ExitCodes.OperationFailed,
        "CANCELED" => ExitCodes.OperationCanceled,
        _ => ExitCodes.StillRunning,
    };

    /// <summary>"RUNNING step rewrap, 450/1000 items (3 skipped, 0 failed), pass 1, ETA 12s; approvals 0/2 waiting".</summary>
    public static string Describe(OperationResponse operation)
    {
        var text = new List<string> { operation.State };
        if (!string.IsNullOrEmpty(operation.Step))
        {
            text[0] += " step " + operation.Step;
        }

        if (operation.Progress is { } p)
        {
            var processed = p.Done + p.Skipped + p.Failed;
            var count = p.Total is { } total ? FormattableString.Invariant($"{processed}/{total} items") : FormattableString.Invariant($"{processed} items");
            var eta = p.EtaSeconds is { } seconds && !IsFinal(operation.State) ? FormattableString.Invariant($", ETA {Math.Ceiling(seconds):0}s") : "";
            text.Add(FormattableString.Invariant($"{count} ({p.Done} rewrapped, {p.Skipped} skipped, {p.Failed} failed), pass {p.Pass}{eta}"));
        }

        if (operation.Approvals is { } a)
        {
            text.Add(FormattableString.Invariant($"approvals {a.Received.Count}/{a.Required} {a.State}"));
        }

        return string.Join(", ", text);
    }

    /// <summary>
    /// "[#########---------------------]  30% " when the item total is known; otherwise a spinner, since a rotation's
    /// steps take very different times and a step count would only pretend to be progress.
    /// </summary>
    public static string Bar(OperationResponse operation, int tick)
    {
        if (operation.Progress is { Total: > 0 } p)
        {
            var fraction = Math.Clamp((double)(p.Done + p.Skipped + p.Failed) / p.Total.Value, 0, 1);
            if (operation.State == "COMPLETED")
            {
                fraction = 1;
            }

            var filled = (int)Math.Round(fraction * BarWidth);
            return "[" + new string('#', filled) + new string('-', BarWidth - filled) + "] "
                   + (fraction * 100).ToString("0", CultureInfo.InvariantCulture).PadLeft(3) + "% ";
        }

        return IsFinal(operation.State) ? "" : Spinner[tick % Spinner.Length] + " ";
    }
}

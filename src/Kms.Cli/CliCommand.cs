namespace Kms.Cli;

/// <summary>One command of the CLI: its words (e.g. "keys create"), usage line, one-line summary and body.</summary>
internal sealed record CliCommand(string Name, string Usage, string Summary, Func<IReadOnlyList<string>, CliContext, Task<int>> RunAsync)
{
    public string[] Words { get; } = Name.Split(' ');

    public static CliCommand Sync(string name, string usage, string summary, Func<IReadOnlyList<string>, CliContext, int> run) =>
        new(name, usage, summary, (args, context) => Task.FromResult(run(args, context)));
}

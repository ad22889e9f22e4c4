namespace Kms.Cli.Tests;

public sealed class RepoPathsTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void FindRoot_FromNestedFolder_FolderWithSolution()
    {
        _cli.WriteFile(RepoPaths.SolutionFile, "");
        var nested = Directory.CreateDirectory(Path.Combine(_cli.Directory, "src", "Kms.Cli", "bin")).FullName;

        Assert.Equal(_cli.Directory, RepoPaths.FindRoot(nested));
    }

    [Fact]
    public void FindRoot_OutsideCheckout_Null()
    {
        // The temp folder is outside any checkout.
        Assert.Null(RepoPaths.FindRoot(_cli.Directory));
    }

    [Fact]
    public void LocalDataDirectory_InCheckout_DotDataLocalUnderRoot()
    {
        _cli.WriteFile(RepoPaths.SolutionFile, "");
        var nested = Directory.CreateDirectory(Path.Combine(_cli.Directory, "docs")).FullName;

        Assert.Equal(Path.Combine(_cli.Directory, ".data", "local"), RepoPaths.LocalDataDirectory(nested));
    }
}

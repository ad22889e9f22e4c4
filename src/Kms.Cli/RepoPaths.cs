namespace Kms.Cli;

/// <summary>Paths inside the repository checkout the CLI is run from.</summary>
internal static class RepoPaths
{
    public const string SolutionFile = "KmsFunctions.sln";

    /// <summary>The folder holding KmsFunctions.sln at or above <paramref name="directory"/>, or null outside a checkout.</summary>
    public static string? FindRoot(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>Where infra/local/up.sh keeps its data when KMS_DATA_DIR is not set: <c>&lt;repo&gt;/.data/local</c>.</summary>
    public static string LocalDataDirectory(string currentDirectory) =>
        Path.Combine(FindRoot(currentDirectory) ?? Path.GetFullPath(currentDirectory), ".data", "local");
}

using Kms.Core.Ports;

namespace Kms.Core.Tests.Ports;

public sealed class RootKeyLabelsTests
{
    [Theory]
    [InlineData("kms-root-1", "kms-root-1.gen2")]
    [InlineData("kms-root-1.gen2", "kms-root-1.gen3")]
    [InlineData("kms-root-1.gen9", "kms-root-1.gen10")]
    [InlineData("root.gen1", "root.gen1.gen2")]
    [InlineData("root.gen02", "root.gen02.gen2")]
    [InlineData("root.genx", "root.genx.gen2")]
    public void Next_Label_IsTheFollowingGeneration(string current, string expected) => Assert.Equal(expected, RootKeyLabels.Next(current));

    [Theory]
    [InlineData("kms-root-1", true)]
    [InlineData("kms-root-1.gen2", true)]
    [InlineData("kms-root-1.gen17", true)]
    [InlineData("kms-root-10", false)]
    [InlineData("kms-root-1.current", false)]
    [InlineData("kms-root-1.gen", false)]
    [InlineData("other.gen2", false)]
    public void InFamily_Label_OnlyTheBaseAndItsGenerations(string label, bool expected) =>
        Assert.Equal(expected, RootKeyLabels.InFamily(label, "kms-root-1"));
}

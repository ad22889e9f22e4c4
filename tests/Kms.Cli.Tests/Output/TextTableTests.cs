using Kms.Cli.Output;

namespace Kms.Cli.Tests.Output;

public sealed class TextTableTests
{
    [Fact]
    public void Rows_CellsOfDifferentWidths_ColumnsAlignedAndEmptyCellsDashed()
    {
        var lines = TextTable.Rows(["key id", "state", "description"], [["k1", "ENABLED", "orders"], ["key-22", null, ""]]).ToArray();

        Assert.Equal(["KEY ID  STATE    DESCRIPTION", "k1      ENABLED  orders", "key-22  -        -"], lines);
    }

    [Fact]
    public void Rows_NoItems_HeaderOnly()
    {
        Assert.Equal(["A  B"], TextTable.Rows(["a", "b"], []));
    }

    [Fact]
    public void Fields_AbsentValuesLeftOut_NamesPadded()
    {
        var lines = TextTable.Fields([("keyId", "k1"), ("description", null), ("primaryVersion", "2")]).ToArray();

        Assert.Equal(["keyId           k1", "primaryVersion  2"], lines);
    }
}

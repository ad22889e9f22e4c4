using Kms.Cli.Commands;

namespace Kms.Cli.Tests.Commands;

public sealed class OperationsCommandsParsingTests
{
    [Fact]
    public void ParseSource_NameValueList_ApiFields()
    {
        var source = OperationsCommands.ParseSource("type=table,connection=local,table=orders,column=Secret,contextColumn=Ctx");

        Assert.Equal(new Api.Contracts.RewrapSourceBody("table", "local", "orders", "Secret", ContextColumn: "Ctx"), source);
    }

    [Fact]
    public void ParseSource_Json_ApiFields()
    {
        var source = OperationsCommands.ParseSource("""{"type":"blob","connection":"local","container":"docs","filter":"a,b"}""");

        Assert.Equal("docs", source.Container);
        Assert.Equal("a,b", source.Filter);
    }

    [Theory]
    [InlineData("type=table,tabel=orders")]
    [InlineData("type=table,type=blob")]
    [InlineData("table")]
    [InlineData("{\"type\":1}")]
    [InlineData("{not json")]
    public void ParseSource_Invalid_UsageError(string text)
    {
        Assert.Throws<UsageException>(() => OperationsCommands.ParseSource(text));
    }
}

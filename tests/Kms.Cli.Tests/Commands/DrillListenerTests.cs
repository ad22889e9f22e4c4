using System.Text;
using System.Text.Json;
using Kms.Cli.Drill;

namespace Kms.Cli.Tests.Commands;

public sealed class DrillListenerTests
{
    [Fact]
    public void Parse_DataBase64AsTheKmsPublishes_KeyIdAndVersion()
    {
        var data = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"keyId":"k1","version":3,"versionState":"REVOKED"}"""));
        using var cloudEvent = JsonDocument.Parse($$"""{"specversion":"1.0","id":"e1","source":"/kms","type":"Kms.KeyVersionRevoked","subject":"/keys/k1/versions/3","data_base64":"{{data}}"}""");

        var parsed = DrillListener.Parse(cloudEvent.RootElement, 42);

        Assert.Equal(new ReceivedEvent("e1", "Kms.KeyVersionRevoked", "/keys/k1/versions/3", "k1", 3, 42), parsed);
    }

    [Fact]
    public void Parse_InlineJsonData_KeyId()
    {
        using var cloudEvent = JsonDocument.Parse("""{"specversion":"1.0","id":"e2","source":"/kms","type":"Kms.KeyCreated","data":{"keyId":"k2"}}""");

        Assert.Equal("k2", DrillListener.Parse(cloudEvent.RootElement, 0)?.KeyId);
    }

    [Fact]
    public void Parse_NoId_Null()
    {
        using var cloudEvent = JsonDocument.Parse("""{"specversion":"1.0","type":"Kms.KeyCreated"}""");

        Assert.Null(DrillListener.Parse(cloudEvent.RootElement, 0));
    }
}

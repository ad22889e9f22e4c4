using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;

namespace Kms.Api.Tests;

/// <summary>Both hosts and the OpenAPI document serve exactly the same routes.</summary>
[Collection(KmsHostCollection.Name)]
public sealed class RouteTableTests(KmsHostFixture host)
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void FunctionsMetadata_HasAnHttpFunctionForEveryLocalHostRoute_AndNoOther()
    {
        var functions = ReadFunctionsMetadata();

        Assert.Equal(LocalHostRoutes().Select(r => r.Route).Order(), functions.Select(f => f.Route).Order());
        Assert.Equal(LocalHostRoutes().Select(r => r.Name).Order(), functions.Select(f => f.Name).Order());
    }

    [Fact]
    public void FunctionsMetadata_DeclaresEveryOrchestratorAndActivity_TheLocalEngineRegisters()
    {
        var functions = ReadFunctionsMetadataJson();
        string[] Triggered(string type) => functions.Where(f => f!["bindings"]!.AsArray().Any(b => b!["type"]!.GetValue<string>() == type))
            .Select(f => f!["name"]!.GetValue<string>()).Order().ToArray();

        Assert.Equal(Kms.Workflows.KmsWorkflows.Orchestrators.Order(), Triggered("orchestrationTrigger"));
        Assert.Equal(Kms.Workflows.KmsWorkflows.Activities.Order(), Triggered("activityTrigger"));
    }

    [Fact]
    public void LocalHost_ServesEveryRouteOfTheTable()
    {
        Assert.Equal(KmsRoutes.All.Select(r => $"{r.Method} {r.Path}").Order(), LocalHostRoutes().Select(r => r.Route).Order());
    }

    [Fact]
    public async Task OpenApi_DescribesEveryRouteWithItsShapes()
    {
        var document = JsonNode.Parse(await host.Client.GetStringAsync("/api/openapi.json"))!;
        var paths = document["paths"]!.AsObject();

        foreach (var route in KmsRoutes.All.Where(r => r.Name != KmsRoutes.OpenApiRouteName))
        {
            var operation = paths[route.Path]?[route.Method.ToLowerInvariant()];
            Assert.True(operation is not null, $"{route.Method} {route.Path} is missing from the OpenAPI document");
            Assert.Equal(route.Name, operation!["operationId"]?.GetValue<string>());
            if (route.RequestType is not null)
            {
                Assert.NotNull(operation["requestBody"]?["content"]?["application/json"]?["schema"]);
            }

            if (route.ResponseType is not null)
            {
                Assert.NotNull(operation["responses"]?[route.SuccessStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)]?["content"]?["application/json"]?["schema"]);
            }
        }

        Assert.NotNull(document["components"]?["schemas"]?["EncryptRequest"]?["properties"]?["plaintext"]);
    }

    /// <summary>
    /// docs/openapi.json is what the Functions app serves; it must equal the generated document.
    /// Run the test suite with KMS_UPDATE_OPENAPI=1 to rewrite it after changing a route or contract.
    /// </summary>
    [Fact]
    public async Task OpenApi_CommittedCopyInDocs_EqualsGeneratedDocument()
    {
        var generated = JsonNode.Parse(await host.Client.GetStringAsync("/api/openapi.json"))!;
        var path = Path.Combine(RepoRoot, "docs", "openapi.json");
        var pretty = generated.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("KMS_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, pretty);
        }

        var committed = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        Assert.True(JsonNode.DeepEquals(generated, committed),
            "docs/openapi.json differs from the generated document; run infra/local/test.sh with KMS_UPDATE_OPENAPI=1 and commit it.");
    }

    private IEnumerable<(string Name, string Route)> LocalHostRoutes() =>
        host.EndpointSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m =>
                (e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "", $"{m} {e.RoutePattern.RawText}")));

    private static List<(string Name, string Route)> ReadFunctionsMetadata() =>
        ReadFunctionsMetadataJson().Where(f => f!["bindings"]!.AsArray().Any(b => b!["type"]!.GetValue<string>() == "httpTrigger")).SelectMany(f =>
        {
            var trigger = f!["bindings"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "httpTrigger")!;
            return trigger["methods"]!.AsArray().Select(m =>
                (f["name"]!.GetValue<string>(), $"{m!.GetValue<string>().ToUpperInvariant()} /api/{trigger["route"]!.GetValue<string>()}"));
        }).ToList();

    private static JsonArray ReadFunctionsMetadataJson()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var path = Path.Combine(RepoRoot, "src", "Kms.Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build the solution ({configuration}) before running the tests.");
        return JsonNode.Parse(File.ReadAllText(path))!.AsArray();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KmsFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("KmsFunctions.sln not found above the test directory.");
    }
}

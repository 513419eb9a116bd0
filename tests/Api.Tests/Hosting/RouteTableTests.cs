using System.Text.Json;
using Enclave.Functions.Invocation;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Hosting;

/// <summary>
/// The local host serves exactly what Azure would: its route table is compared with the <c>functions.metadata</c>
/// the Worker.Sdk wrote at build time (function names, trigger types, methods, routes, queues), so local and Azure
/// cannot drift apart.
/// </summary>
public sealed class RouteTableTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private sealed record Function(string Name, string Trigger, string Methods, string? Route, string? Queue);

    /// <summary>What Azure runs: the build's functions.metadata (copied beside the app's assembly).</summary>
    private static List<Function> Metadata()
    {
        var path = Path.Combine(Path.GetDirectoryName(typeof(Program).Assembly.Location)!, "functions.metadata");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return [.. json.RootElement.EnumerateArray().Select(f =>
        {
            var trigger = f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            var methods = trigger.TryGetProperty("methods", out var m) ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()) : [];
            return new Function(f.GetProperty("name").GetString()!, trigger.GetProperty("type").GetString()!, string.Join(',', methods.Order(StringComparer.Ordinal)),
                trigger.TryGetProperty("route", out var r) ? r.GetString() : null,
                trigger.TryGetProperty("queueName", out var q) ? q.GetString() : null);
        }).OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    [Fact]
    public void Local_route_table_is_the_functions_metadata_of_the_build()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.All(endpoints, e => Assert.NotNull(e.Metadata.GetMetadata<FunctionEntry>()));

        var http = endpoints.Select(e => new Function(e.Metadata.GetMetadata<FunctionEntry>()!.Name, FunctionEntry.HttpTrigger,
            string.Join(',', e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Order(StringComparer.Ordinal)),
            e.RoutePattern.RawText!.TrimStart('/')["api/".Length..], null));
        var queues = FunctionCatalog.App.Entries.Where(e => e.Trigger == FunctionEntry.QueueTrigger)
            .Select(e => new Function(e.Name, e.Trigger, string.Empty, null, e.QueueName));
        var local = http.Concat(queues).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(Metadata(), local);
    }

    [Fact]
    public void Every_route_lives_under_the_api_prefix_and_every_function_has_a_unique_name()
    {
        var metadata = Metadata();

        Assert.Equal(metadata.Count, metadata.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.True(metadata.Count >= 40, $"Only {metadata.Count} functions in functions.metadata.");
        Assert.All(app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>(),
            e => Assert.StartsWith("/api/", e.RoutePattern.RawText, StringComparison.Ordinal));
    }
}

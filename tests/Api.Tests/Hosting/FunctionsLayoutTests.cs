using System.Text.Json;
using Enclave.Functions.Export;
using Enclave.Testing;

namespace Enclave.Api.Tests.Hosting;

/// <summary>host.json and the function.json files agree with the handler they describe.</summary>
public sealed class FunctionsLayoutTests
{
    private static readonly string s_functions = Path.Combine(LocalEmulators.RepositoryRoot, "src", "Functions");

    private static JsonElement Read(params string[] path) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine([s_functions, .. path]))).RootElement;

    [Fact]
    public void Host_json_runs_the_handler_executable_with_proxying_and_no_route_prefix()
    {
        var host = Read("host.json");
        var handler = host.GetProperty("customHandler");

        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.Equal(typeof(Program).Assembly.GetName().Name, handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(handler.GetProperty("enableProxyingHttpRequest").GetBoolean());
        Assert.True(handler.GetProperty("enableForwardingHttpRequest").GetBoolean());
        Assert.Equal(string.Empty, host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void Http_function_forwards_every_api_path_and_nothing_else()
    {
        var bindings = Read("Api", "function.json").GetProperty("bindings").EnumerateArray().ToList();

        var trigger = Assert.Single(bindings, b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Single(bindings, b => b.GetProperty("type").GetString() == "http");
        Assert.Equal(2, bindings.Count);
        Assert.Equal("api/{*path}", trigger.GetProperty("route").GetString());
        Assert.Equal("anonymous", trigger.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void Queue_function_is_named_and_bound_as_the_handler_expects()
    {
        var trigger = Assert.Single(Read(ExportQueueTrigger.FunctionName, "function.json").GetProperty("bindings").EnumerateArray());

        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(ExportQueueTrigger.BindingName, trigger.GetProperty("name").GetString());
        Assert.Equal("%Storage__ExportQueueName%", trigger.GetProperty("queueName").GetString());
    }
}

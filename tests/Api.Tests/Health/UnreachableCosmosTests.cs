using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Enclave.Api.Tests.Health;

/// <summary>The app pointed at a Cosmos endpoint where nothing listens.</summary>
public sealed class UnreachableCosmosFixture : EnclaveApiFixture
{
    protected override void Customize(Dictionary<string, string?> settings)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        settings["Cosmos:Endpoint"] = $"http://127.0.0.1:{closedPort}/";
        settings["Cosmos:CreateIfNotExists"] = "false";
        // Bootstrapping the super admin needs Cosmos at start-up; this app has none.
        settings.Remove("Auth:BootstrapClientId");
        settings.Remove("Auth:BootstrapClientSecret");
        Cosmos.CreateIfNotExists = false;
    }
}

public sealed class UnreachableCosmosTests(UnreachableCosmosFixture app) : IClassFixture<UnreachableCosmosFixture>
{
    [Fact]
    public async Task Health_is_503_and_names_cosmos_when_cosmos_is_unreachable()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", report.RootElement.GetProperty("checks").GetProperty("cosmos").GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("storage").GetProperty("status").GetString());
    }
}

using System.Net;
using System.Text.Json;

namespace Enclave.Api.Tests.Health;

public sealed class HealthEndpointTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task Health_reports_cosmos_and_storage_reachable()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("cosmos").GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("storage").GetProperty("status").GetString());
    }
}

using System.Net;

namespace Enclave.Api.Tests.Hosting;

/// <summary>The handler run as the Functions host runs it (see <see cref="HandlerProcess"/>).</summary>
public sealed class CustomHandlerProcessTests
{
    [Fact]
    public async Task Handler_listens_on_the_port_the_host_gives_and_serves_api_routes()
    {
        await using var handler = await HandlerProcess.StartAsync();

        using var health = await handler.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var metadata = await handler.Http.GetAsync(new Uri("/api/fhir/R4/metadata", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
    }
}

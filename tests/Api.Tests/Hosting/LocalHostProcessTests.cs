using System.Net;

namespace Enclave.Api.Tests.Hosting;

/// <summary>The built app started as <c>dotnet run</c> starts it (see <see cref="HandlerProcess"/>): its own local host.</summary>
public sealed class LocalHostProcessTests
{
    [Fact]
    public async Task Started_without_a_Functions_host_the_app_serves_its_functions_on_the_given_port()
    {
        await using var app = await HandlerProcess.StartAsync();

        using var health = await app.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var metadata = await app.Http.GetAsync(new Uri("/api/fhir/R4/metadata", UriKind.Relative));
        using var patient = await app.Http.GetAsync(new Uri("/api/fhir/R4/Patient/1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, patient.StatusCode);
    }
}

using System.Net;
using Microsoft.Extensions.Configuration;

namespace Enclave.Api.Tests.Auth;

/// <summary>
/// Regression: starting with a new <c>Auth:BootstrapClientId</c> on a database whose system project exists tried to
/// create the system project again, and the store's <c>TenancyConflictException</c> stopped the app from starting.
/// </summary>
public sealed class BootstrapAdminTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task A_newly_configured_super_admin_client_joins_the_existing_system_project()
    {
        var (id, secret) = ($"admin-{Guid.NewGuid():N}", "a new bootstrap secret for the test");
        await using var restarted = app.WithWebHostBuilder(builder => builder.ConfigureAppConfiguration((_, configuration) =>
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:BootstrapClientId"] = id, ["Auth:BootstrapClientSecret"] = secret })));
        using var http = restarted.CreateClient();

        var token = await AuthClient.TokenAsync(http, id, secret);
        using var created = await AuthClient.PostAsync(http, "/api/admin/projects", token, new { name = "made by the new super admin" });
        using var oldAdmin = await AuthClient.RequestTokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, oldAdmin.StatusCode);
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Edge;

/// <summary>
/// The real app, plus one route past the app's own pipeline that throws: a stand-in for a bug, so the test can see
/// what a client gets when the server fails unexpectedly.
/// </summary>
public sealed class EdgeFixture : EnclaveApiFixture
{
    /// <summary>Requests here throw after passing the whole edge (correlation id, limits, authentication).</summary>
    public const string ThrowingPath = "/api/test-only/throws";

    /// <summary>The exception text the throwing route uses; it must never reach a client.</summary>
    public const string SecretText = "db-connection-string=AccountKey=do-not-leak";

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IStartupFilter, ThrowingRoute>();

    private sealed class ThrowingRoute : IStartupFilter
    {
        // After the app's own pipeline: only requests that no endpoint matched arrive here, having passed the edge.
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use(async (http, after) =>
            {
                if (http.Request.Path.StartsWithSegments(ThrowingPath, StringComparison.Ordinal))
                {
                    await Task.Yield();
                    throw new InvalidOperationException(SecretText);
                }

                await after(http);
            });
        };
    }
}

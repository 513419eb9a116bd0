using Enclave.Functions.Edge;

namespace Enclave.Functions.Hosting;

/// <summary>
/// In Azure, puts the edge (<see cref="EdgeMiddleware"/>) in front of the worker's ASP.NET Core pipeline, which the
/// worker configures itself and offers no other way into.
/// </summary>
internal sealed class EdgeStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseEnclaveEdge();
        next(app);
    };
}

using Enclave.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;

// Started by the Functions host (it passes --functions-uri), Enclave is an isolated worker; started any other way
// (dotnet run, tests), it is its own local host serving the same functions (ADR 0004).
if (args.Contains("--functions-uri") || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Functions__Worker__HostEndpoint")))
{
    var builder = FunctionsApplication.CreateBuilder(args);
    LocalSettings.AddHostJson(builder.Configuration, AppContext.BaseDirectory); // the queue settings the host runs with
    builder.ConfigureFunctionsWebApplication();
    builder.UseMiddleware<WorkerInvocationMiddleware>();
    builder.Services.AddEnclave(builder.Configuration);
    builder.Services.AddSingleton<IStartupFilter, EdgeStartupFilter>();
    builder.Build().Run();
}
else
{
    LocalHost.Build(args).Run();
}

/// <summary>The app's entry point (public for the HTTP tests' <c>WebApplicationFactory</c>).</summary>
public partial class Program;

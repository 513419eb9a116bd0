using System.Reflection;
using System.Text.Json;
using Enclave.Domain.Export;
using Enclave.Functions.Edge;
using Enclave.Functions.Invocation;
using Enclave.Storage.Blobs;
using Enclave.Storage.Export;

namespace Enclave.Functions.Hosting;

/// <summary>
/// The Functions host's stand-in where there is none (development, tests; ADR 0004): the same <c>[Function]</c>
/// methods served on Kestrel under the same route templates and prefix, with the same services, the same edge and
/// the same <see cref="InvocationPipeline"/>, and the queue functions fed from Azure Storage by
/// <see cref="LocalQueuePoller"/> with the host's retry and poison rules.
/// </summary>
public static class LocalHost
{
    /// <summary>The port <c>func start</c> would use, unless <c>Host:LocalHttpPort</c> or <c>--urls</c> says otherwise.</summary>
    public const int DefaultPort = 7071;

    /// <summary>Builds the local host for <paramref name="args"/>, reading <c>local.settings.json</c> first as <c>func start</c> does.</summary>
    public static WebApplication Build(string[] args)
    {
        LocalSettings.Apply(Directory.GetCurrentDirectory(), AppContext.BaseDirectory);
        var builder = WebApplication.CreateBuilder(args);
        LocalSettings.AddHostJson(builder.Configuration, AppContext.BaseDirectory);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            var port = builder.Configuration.GetValue("Host:LocalHttpPort", DefaultPort);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        builder.Services.AddEnclave(builder.Configuration);
        builder.Services.AddSingleton<LocalQueuePoller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalQueuePoller>());
        builder.Services.AddSingleton<IExportScheduler>(sp => new WakingScheduler(
            new QueueExportScheduler(sp.GetRequiredService<AzureStorageClients>().ExportQueue), sp.GetRequiredService<LocalQueuePoller>()));

        var app = builder.Build();
        app.UseEnclaveEdge();

        app.MapFunctions(FunctionCatalog.App, RoutePrefix(AppContext.BaseDirectory));
        return app;
    }

    /// <summary>The export queue, waking this host's poller for a message visible at once.</summary>
    private sealed class WakingScheduler(IExportScheduler queue, LocalQueuePoller poller) : IExportScheduler
    {
        public async Task ScheduleAsync(ExportJobMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            await queue.ScheduleAsync(message, delay, cancellationToken);
            if (delay <= TimeSpan.Zero)
            {
                poller.Wake();
            }
        }
    }

    /// <summary><c>extensions.http.routePrefix</c> of the app's <c>host.json</c>; <c>api</c> when it sets none, as in Azure.</summary>
    public static string RoutePrefix(string directory)
    {
        var path = Path.Combine(directory, "host.json");
        if (!File.Exists(path))
        {
            return "api";
        }

        using var json = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return json.RootElement.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("http", out var http)
            && http.TryGetProperty("routePrefix", out var prefix) && prefix.ValueKind == JsonValueKind.String
            ? prefix.GetString()!
            : "api";
    }

    /// <summary>
    /// Maps every HTTP function of <paramref name="catalog"/> at <c>/{routePrefix}/{route}</c> for its methods, named
    /// after the function. Each request gets the function class from its own scope, as the worker does.
    /// </summary>
    public static void MapFunctions(this IEndpointRouteBuilder endpoints, FunctionCatalog catalog, string routePrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(catalog);
        var configuration = endpoints.ServiceProvider.GetRequiredService<IConfiguration>();
        foreach (var entry in catalog.Entries.Where(e => e.Trigger == FunctionEntry.HttpTrigger && !LocalSettings.IsDisabled(configuration, e.Name)))
        {
            var invoke = Invoker(entry);
            var pattern = "/" + string.Join('/', new[] { routePrefix, entry.Route }.Where(p => !string.IsNullOrEmpty(p)));
            endpoints.MapMethods(pattern, entry.HttpMethods, http => DispatchAsync(http, entry, invoke)).WithName(entry.Name).WithMetadata(entry);
        }
    }

    /// <summary>One request: the invocation step, then the function (or the refusal), its answer written.</summary>
    private static async Task DispatchAsync(HttpContext http, FunctionEntry entry, Func<HttpContext, Task<IResult>> invoke)
    {
        var pipeline = http.RequestServices.GetRequiredService<InvocationPipeline>();
        var answer = await pipeline.RunAsync(http, entry, () => invoke(http));
        await answer.ExecuteAsync(http);
    }

    /// <summary>
    /// Calls the function's method with what an HTTP trigger binds: the <see cref="HttpRequest"/>, route values
    /// (strings, by parameter name) and the <see cref="CancellationToken"/>. Any other parameter is refused at start-up.
    /// </summary>
    private static Func<HttpContext, Task<IResult>> Invoker(FunctionEntry entry)
    {
        var method = entry.Method;
        if (method.ReturnType != typeof(Task<IResult>) && method.ReturnType != typeof(IResult))
        {
            throw new InvalidOperationException($"Function {entry.Name} must return IResult or Task<IResult>.");
        }

        var binders = method.GetParameters().Select(Binder(entry)).ToArray();
        var factory = method.IsStatic ? null : ActivatorUtilities.CreateFactory(method.DeclaringType!, []);
        return async http =>
        {
            var target = factory?.Invoke(http.RequestServices, null);
            var arguments = binders.Select(bind => bind(http)).ToArray();
            try
            {
                var result = method.Invoke(target, arguments);
                return result is Task<IResult> task ? await task : (IResult)result!;
            }
            catch (TargetInvocationException e) when (e.InnerException is { } inner)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
                throw;
            }
        };
    }

    private static Func<ParameterInfo, Func<HttpContext, object?>> Binder(FunctionEntry entry) => parameter =>
        parameter.ParameterType switch
        {
            var t when t == typeof(HttpRequest) => http => http.Request,
            var t when t == typeof(CancellationToken) => http => http.RequestAborted,
            var t when t == typeof(string) && entry.Route?.Contains('{' + parameter.Name + '}', StringComparison.Ordinal) == true =>
                http => http.Request.RouteValues[parameter.Name!] as string,
            _ => throw new InvalidOperationException(
                $"Function {entry.Name}: the local host binds HttpRequest, CancellationToken and route values, not {parameter.Name} ({parameter.ParameterType.Name})."),
        };
}

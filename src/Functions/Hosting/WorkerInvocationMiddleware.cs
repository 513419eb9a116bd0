using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Enclave.Functions.Hosting;

/// <summary>
/// In Azure, runs every HTTP invocation through <see cref="InvocationPipeline"/> (the local host's dispatcher runs
/// the same step): the function runs only when the pipeline admits its caller, and its answer, or the refusal, is
/// the invocation's result, which the ASP.NET Core integration writes.
/// </summary>
internal sealed class WorkerInvocationMiddleware(InvocationPipeline pipeline) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }

        var entry = FunctionCatalog.App[context.FunctionDefinition.Name];
        var answer = await pipeline.RunAsync(http, entry, async () =>
        {
            await next(context);
            return context.GetInvocationResult().Value as IResult
                ?? throw new InvalidOperationException($"Function {entry.Name} returned no IResult.");
        });
        context.GetInvocationResult().Value = answer;
    }
}

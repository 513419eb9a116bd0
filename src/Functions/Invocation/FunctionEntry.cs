using System.Reflection;

namespace Enclave.Functions.Invocation;

/// <summary>One <c>[Function]</c> method as both hosts see it: its trigger and what it demands of a caller.</summary>
/// <param name="Name">The function's name (<c>[Function("…")]</c>), as Azure shows it.</param>
/// <param name="Method">The method that runs.</param>
/// <param name="Trigger">The trigger parameter: <c>httpTrigger</c> or <c>queueTrigger</c>.</param>
/// <param name="HttpMethods">The HTTP methods (upper case), for an HTTP function.</param>
/// <param name="Route">The route template below the route prefix, for an HTTP function.</param>
/// <param name="QueueName">The queue (possibly a <c>%setting%</c> expression), for a queue function.</param>
public sealed record FunctionEntry(string Name, MethodInfo Method, string Trigger, IReadOnlyList<string> HttpMethods, string? Route, string? QueueName)
{
    /// <summary>The HTTP trigger type, as <c>functions.metadata</c> spells it.</summary>
    public const string HttpTrigger = "httpTrigger";

    /// <summary>The queue trigger type, as <c>functions.metadata</c> spells it.</summary>
    public const string QueueTrigger = "queueTrigger";

    /// <summary>Whether the function answers without a token.</summary>
    public bool Anonymous { get; } = Method.IsDefined(typeof(AnonymousAttribute));

    /// <summary>The role the function requires, if any, and what a caller without it is told.</summary>
    public RequiresAttribute? Requires { get; } = Method.GetCustomAttribute<RequiresAttribute>();

    /// <summary>How the function's invocations are audited; null for the reviewed public functions that are not.</summary>
    public Audit.AuditedAttribute? Audited { get; } = Method.GetCustomAttribute<Audit.AuditedAttribute>();

    /// <summary>Whether the function's answer format is negotiated before it runs.</summary>
    public bool NegotiatesFhirFormat { get; } = Method.IsDefined(typeof(NegotiatesFhirFormatAttribute));
}

using System.Collections.Frozen;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Invocation;

/// <summary>
/// Every <c>[Function]</c> of the app, read once from its attributes: the same list the Worker.Sdk writes into
/// <c>functions.metadata</c> for Azure, and the one the local host maps onto Kestrel and its queue poller.
/// </summary>
public sealed class FunctionCatalog
{
    private readonly FrozenDictionary<string, FunctionEntry> _byName;

    private FunctionCatalog(IReadOnlyList<FunctionEntry> entries)
    {
        Entries = entries;
        _byName = entries.ToFrozenDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>The app's functions.</summary>
    public static FunctionCatalog App { get; } = Read(typeof(FunctionCatalog).Assembly);

    /// <summary>The functions, in declaration order.</summary>
    public IReadOnlyList<FunctionEntry> Entries { get; }

    /// <summary>The function named <paramref name="name"/>.</summary>
    public FunctionEntry this[string name] => _byName[name];

    /// <summary>Reads the <c>[Function]</c> methods of <paramref name="assembly"/>.</summary>
    public static FunctionCatalog Read(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var entries = new List<FunctionEntry>();
        foreach (var method in assembly.GetTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }

            var parameters = method.GetParameters();
            if (parameters.Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).OfType<HttpTriggerAttribute>().FirstOrDefault() is { } http)
            {
                var methods = (http.Methods ?? []).Select(m => m.ToUpperInvariant()).ToArray();
                entries.Add(new FunctionEntry(function.Name, method, FunctionEntry.HttpTrigger, methods, http.Route, null));
            }
            else if (parameters.Select(p => p.GetCustomAttribute<QueueTriggerAttribute>()).OfType<QueueTriggerAttribute>().FirstOrDefault() is { } queue)
            {
                entries.Add(new FunctionEntry(function.Name, method, FunctionEntry.QueueTrigger, [], null, queue.QueueName));
            }
            else
            {
                throw new InvalidOperationException($"Function {function.Name} has a trigger neither host here runs.");
            }
        }

        return new FunctionCatalog(entries);
    }
}

using System.Collections;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// FHIRPath Patch (FHIR R4 3.1.0.8.2): a Parameters resource of <c>operation</c>s — add, insert, delete, replace,
/// move — each locating its target with a FHIRPath expression, applied in order to a copy of the resource.
/// Values are <c>value[x]</c> of any datatype; a primitive is converted to the primitive type of the element it
/// lands in (a <c>valueCode</c> into <c>Patient.gender</c>). The caller re-parses the result strictly, so a patch can
/// never store what a create would refuse.
/// </summary>
public static class FhirPathPatch
{
    /// <summary>
    /// The patch as the repository applies it: stored JSON in, the patched resource (re-parsed strictly, so it can
    /// hold nothing a create would refuse) or the outcome saying why not.
    /// </summary>
    public static Func<string, (Resource? Patched, OperationOutcome? Refusal)> Applier(Parameters patch) => json =>
    {
        if (!ResourceParser.TryParse(json, out var current, out var unreadable))
        {
            return (null, unreadable);
        }

        if (!TryApply(current!, patch, out var error))
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, error!));
        }

        string patchedJson;
        try
        {
            patchedJson = System.Text.Json.JsonSerializer.Serialize(current, ResourceParser.Options);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Structure, $"The patched resource nests deeper than {ParserLimits.Default.MaxDepth} levels."));
        }

        // Re-parsed strictly, within the parser's limits: a patch can never store what a create would refuse.
        return ResourceParser.TryParse(patchedJson, out var patched, out var outcome)
            ? (patched, null)
            : (null, outcome);
    };

    /// <summary>
    /// What makes <paramref name="patch"/> no FHIRPath Patch at all, whatever it is applied to (so it can be refused
    /// before the resource is read), or null: parameters other than operations, a part given twice, no type or
    /// path, a path too long or too nested to evaluate.
    /// </summary>
    public static string? Problem(Parameters patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var operations = patch.Parameter.Where(p => p.Name == "operation").ToList();
        if (operations.Count == 0 || operations.Count != patch.Parameter.Count)
        {
            return "A FHIRPath Patch is a Parameters resource whose parameters are all named 'operation'.";
        }

        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            var problem = operation.Part.GroupBy(p => p.Name ?? string.Empty, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice
                ? $"the part '{twice.Key}' is given more than once."
                : operation.Value is not null || operation.Resource is not null ? "an operation has parts, not a value."
                : operation.Part.FirstOrDefault(p => p.Name == "type")?.Value is not (Code or FhirString) || operation.Part.FirstOrDefault(p => p.Name == "path")?.Value is not FhirString { Value: { } path }
                    ? "an operation needs a type and a path."
                : FhirPathExpressions.TryCompile(path, out _, out var unusable) ? null : $"the path {unusable}";
            if (problem is not null)
            {
                return $"Parameters.parameter[{i}]: {problem}";
            }
        }

        return null;
    }

    /// <summary>Applies <paramref name="patch"/> to <paramref name="resource"/> (changed in place); false with the reason otherwise.</summary>
    public static bool TryApply(Resource resource, Parameters patch, out string? error)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(patch);
        error = Problem(patch);
        if (error is not null)
        {
            return false;
        }

        var operations = patch.Parameter;

        for (var i = 0; i < operations.Count; i++)
        {
            try
            {
                error = Apply(resource, operations[i]);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidCastException or InvalidOperationException)
            {
                // A value that does not fit where the path put it; Firely's text is not for clients.
                error = "the operation cannot be applied to the element its path selects.";
            }

            if (error is not null)
            {
                error = $"Parameters.parameter[{i}]: {error}";
                return false;
            }
        }

        return true;
    }

    private static string? Apply(Resource resource, Parameters.ParameterComponent operation)
    {
        var parts = operation.Part.ToDictionary(p => p.Name ?? string.Empty, StringComparer.Ordinal);
        string? Text(string name) => parts.TryGetValue(name, out var part) ? (part.Value as PrimitiveType)?.ToString() : null;
        int? Number(string name) => parts.TryGetValue(name, out var part) && part.Value is Integer { Value: { } n } ? n : null;
        var type = Text("type");
        var path = Text("path");
        if (type is null || path is null)
        {
            return "an operation needs a type and a path.";
        }

        List<PocoNode> nodes;
        if (!FhirPathExpressions.TryCompile(path, out var compiled, out var unusable))
        {
            return $"the path {unusable}";
        }

        try
        {
            nodes = [.. compiled!(resource.ToPocoNode(), new FhirEvaluationContext())];
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
        {
            return $"the path '{path}' cannot be evaluated here: {ex.Message}";
        }

        var value = parts.TryGetValue("value", out var valuePart) ? valuePart.Value : null;
        if (valuePart is { Value: null, Part.Count: > 0 })
        {
            return "values given as parts are not supported; use value[x].";
        }

        return type switch
        {
            "delete" => nodes.Count switch
            {
                0 => null,
                1 => Remove(nodes[0]),
                _ => $"delete: '{path}' matches {nodes.Count} elements; it must match one.",
            },
            "replace" when nodes.Count != 1 => $"replace: '{path}' matches {nodes.Count} elements; it must match one.",
            "replace" when value is null => "replace needs a value.",
            "replace" when nodes[0].Parent is null => "the resource itself cannot be replaced by a patch.",
            "replace" => Set(nodes[0].Parent!.Poco, nodes[0].Name, nodes[0].Index, value, replace: true),
            "add" when nodes.Count != 1 => $"add: '{path}' matches {nodes.Count} elements; it must match one.",
            "add" when value is null || Text("name") is null => "add needs a name and a value.",
            "add" => Set(nodes[0].Poco, Text("name")!, null, value, replace: false),
            "insert" when nodes.Count == 0 => $"insert: '{path}' matches no list element.",
            "insert" when value is null || Number("index") is null => "insert needs an index and a value.",
            "insert" => Insert(nodes[0], Number("index")!.Value, value),
            "move" when nodes.Count == 0 => $"move: '{path}' matches no list element.",
            "move" when Number("source") is null || Number("destination") is null => "move needs a source and a destination.",
            "move" => Move(nodes[0], Number("source")!.Value, Number("destination")!.Value),
            _ => $"'{type}' is not an operation type (add, insert, delete, replace, move).",
        };
    }

    private static string? Remove(PocoNode node)
    {
        if (node.Parent is null)
        {
            return "the resource itself cannot be deleted by a patch.";
        }

        if (node.Index is { } index && List(node) is { } list)
        {
            list.RemoveAt(index);
        }
        else
        {
            node.Parent.Poco.SetValue(node.Name, null);
        }

        return null;
    }

    /// <summary>Sets element <paramref name="name"/> of <paramref name="owner"/>: one list item, a new list item, or the single value.</summary>
    private static string? Set(Base owner, string name, int? index, DataType value, bool replace)
    {
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(owner.GetType())?.FindMappedElementByName(name);
        if (mapping is null)
        {
            return $"{owner.TypeName} has no element '{name}'.";
        }

        if (Convert(value, mapping.ImplementingType) is not { } converted)
        {
            return $"a {value.TypeName} cannot be put into {owner.TypeName}.{name}.";
        }

        if (mapping.IsCollection)
        {
            // An empty list is not "set" (TryGetValue misses it); the property's getter makes it.
            if ((owner.TryGetValue(name, out var existing) ? existing : mapping.NativeProperty?.GetValue(owner)) is not IList list)
            {
                return $"{owner.TypeName}.{name} is not a list.";
            }

            if (replace && index is { } at)
            {
                list[at] = converted;
            }
            else
            {
                list.Add(converted);
            }
        }
        else
        {
            owner.SetValue(name, converted);
        }

        return null;
    }

    private static string? Insert(PocoNode item, int index, DataType value)
    {
        if (List(item) is not { } list || item.Parent is null)
        {
            return "insert: the path must select the items of a list.";
        }

        if (index < 0 || index > list.Count)
        {
            return $"insert: index {index} is outside the list (0..{list.Count}).";
        }

        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(item.Parent.Poco.GetType())!.FindMappedElementByName(item.Name)!;
        if (Convert(value, mapping.ImplementingType) is not { } converted)
        {
            return $"a {value.TypeName} cannot be put into {item.Parent.Poco.TypeName}.{item.Name}.";
        }

        list.Insert(index, converted);
        return null;
    }

    private static string? Move(PocoNode item, int source, int destination)
    {
        if (List(item) is not { } list)
        {
            return "move: the path must select the items of a list.";
        }

        if (source < 0 || source >= list.Count || destination < 0 || destination >= list.Count)
        {
            return $"move: source and destination must be within the list (0..{list.Count - 1}).";
        }

        var moved = list[source];
        list.RemoveAt(source);
        list.Insert(destination, moved);
        return null;
    }

    private static IList? List(PocoNode item) =>
        item.Parent is { } parent && parent.Poco.TryGetValue(item.Name, out var value) ? value as IList : null;

    /// <summary>The value as the element's type: as it is when it fits, a primitive re-typed by its JSON value otherwise.</summary>
    private static Base? Convert(DataType value, Type target)
    {
        if (target.IsInstanceOfType(value))
        {
            return value;
        }

        if (value is PrimitiveType { JsonValue: { } json } && typeof(PrimitiveType).IsAssignableFrom(target) && !target.IsAbstract)
        {
            var primitive = (PrimitiveType)Activator.CreateInstance(target)!;
            primitive.JsonValue = json;
            return primitive;
        }

        return null;
    }
}

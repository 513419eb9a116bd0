using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Access;

/// <summary>
/// Hidden and read-only fields on a resource's JSON. A field is an element path relative to the resource
/// (<c>birthDate</c>, <c>name.family</c>, <c>component.value[x]</c>); each step goes through arrays, and names the
/// element with its primitive extension (<c>_birthDate</c>) and, for a choice element (<c>value</c> or
/// <c>value[x]</c>), every typed form (<c>valueQuantity</c>, <c>valueString</c>…). An element of an array left with
/// nothing visible becomes a placeholder carrying the <c>data-absent-reason</c> extension with <c>masked</c> (FHIR's
/// way to say "withheld for security"): the answer stays valid FHIR and array positions stay meaningful, so a write
/// built from the answer pairs up with the stored elements.
/// </summary>
public static class FieldMask
{
    /// <summary>Removes every field at <paramref name="paths"/> from <paramref name="resource"/>.</summary>
    public static void Remove(JsonObject resource, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            Remove(resource, path.Split('.'), 0);
        }
    }

    /// <summary>
    /// Makes the fields at <paramref name="paths"/> in <paramref name="candidate"/> what they are in
    /// <paramref name="stored"/> (absent when there is no stored version), at any depth, pairing array elements by
    /// position. Null when done; otherwise the path of an element the candidate dropped that held such a field —
    /// keeping it is impossible without keeping the element, and erasing it is not allowed.
    /// </summary>
    public static string? Preserve(JsonObject? stored, JsonObject candidate, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            if (Preserve(stored, candidate, path.Split('.'), 0, string.Empty) is { } lost)
            {
                return lost;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="path"/> is a field path: dot-separated element names, each optionally ending in <c>[x]</c>.</summary>
    public static bool IsPath(string path) =>
        !string.IsNullOrEmpty(path) && path.Split('.').All(s => s.Length > 0 && char.IsAsciiLetterLower(s[0])
            && s.TrimEnd(']').TrimEnd('[', 'x').All(char.IsAsciiLetterOrDigit) && (!s.Contains('[', StringComparison.Ordinal) || s.EndsWith("[x]", StringComparison.Ordinal)));

    /// <summary>
    /// Whether <paramref name="path"/> names elements that <paramref name="resourceType"/> has, per the R4 element
    /// definitions: each step an element of the one before, a choice as <c>value[x]</c> or a typed form such as
    /// <c>valueQuantity</c>. A misspelled field would otherwise hide nothing while looking enforced.
    /// </summary>
    public static bool Exists(string resourceType, string path)
    {
        var mapping = Hl7.Fhir.Model.ModelInfo.ModelInspector.FindClassMapping(resourceType);
        foreach (var step in path.Split('.'))
        {
            if (mapping is null)
            {
                // After an untyped choice (value[x].x) the type is not known: what follows cannot be checked further.
                return true;
            }

            var name = step.EndsWith("[x]", StringComparison.Ordinal) ? step[..^3] : step;
            var property = mapping.FindMappedElementByName(name);
            if (property is not null && property.Name == name && (property.Choice == Hl7.Fhir.Introspection.ChoiceType.None) == (name == step))
            {
                mapping = property.Choice == Hl7.Fhir.Introspection.ChoiceType.None
                    ? Hl7.Fhir.Model.ModelInfo.ModelInspector.FindOrImportClassMapping(property.ImplementingType)
                    : null;
                continue;
            }

            property = mapping.FindMappedElementByChoiceName(step);
            if (property is null || property.Choice == Hl7.Fhir.Introspection.ChoiceType.None || !step.StartsWith(property.Name, StringComparison.Ordinal)
                || step.Length == property.Name.Length)
            {
                return false;
            }

            var type = step[property.Name.Length..];
            mapping = Hl7.Fhir.Model.ModelInfo.ModelInspector.FindClassMapping(type)
                ?? Hl7.Fhir.Model.ModelInfo.ModelInspector.FindClassMapping(char.ToLowerInvariant(type[0]) + type[1..]);
            if (mapping is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The extension that marks an element withheld for security.</summary>
    public const string DataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

    private static void Remove(JsonObject node, string[] steps, int step)
    {
        foreach (var name in Matching(node, steps[step]))
        {
            if (step == steps.Length - 1)
            {
                node.Remove(name);
                continue;
            }

            switch (node[name])
            {
                case JsonObject single:
                    Remove(single, steps, step + 1);
                    if (single.Count == 0)
                    {
                        node.Remove(name);
                    }

                    break;
                case JsonArray many:
                    for (var i = 0; i < many.Count; i++)
                    {
                        if (many[i] is JsonObject element)
                        {
                            Remove(element, steps, step + 1);
                            if (element.Count == 0)
                            {
                                many[i] = Masked();
                            }
                        }
                    }

                    break;
            }
        }
    }

    private static JsonObject Masked() => new()
    {
        ["extension"] = new JsonArray(new JsonObject { ["url"] = DataAbsentReason, ["valueCode"] = "masked" }),
    };

    private static bool IsMasked(JsonObject element) => JsonNode.DeepEquals(element, Masked());

    private static string? Preserve(JsonObject? stored, JsonObject candidate, string[] steps, int step, string at)
    {
        var names = Matching(candidate, steps[step]).Union(stored is null ? [] : Matching(stored, steps[step]), StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            var kept = stored?[name];
            if (step == steps.Length - 1)
            {
                candidate.Remove(name);
                if (kept is not null)
                {
                    candidate[name] = kept.DeepClone();
                }

                continue;
            }

            var path = at.Length == 0 ? name : $"{at}.{name}";
            if (kept is JsonArray keptArray)
            {
                if (candidate[name] is not JsonArray candidateArray)
                {
                    candidateArray = [];
                    if (keptArray.OfType<JsonObject>().Any(k => Holds(k, steps, step + 1)))
                    {
                        return path;
                    }
                }

                for (var i = 0; i < candidateArray.Count; i++)
                {
                    if (candidateArray[i] is JsonObject placeholder && IsMasked(placeholder) && i < keptArray.Count)
                    {
                        // All the caller saw of this element was that it is withheld: it stays as stored.
                        candidateArray[i] = keptArray[i]!.DeepClone();
                    }
                    else if (candidateArray[i] is JsonObject element
                        && Preserve(i < keptArray.Count ? keptArray[i] as JsonObject : null, element, steps, step + 1, $"{path}[{i}]") is { } lost)
                    {
                        return lost;
                    }
                }

                for (var i = candidateArray.Count; i < keptArray.Count; i++)
                {
                    if (keptArray[i] is JsonObject gone && Holds(gone, steps, step + 1))
                    {
                        return $"{path}[{i}]";
                    }
                }
            }
            else if (kept is JsonObject keptObject)
            {
                if (candidate[name] is not JsonObject candidateObject)
                {
                    if (!Holds(keptObject, steps, step + 1))
                    {
                        continue;
                    }

                    candidate[name] = candidateObject = [];
                }

                if (Preserve(keptObject, candidateObject, steps, step + 1, path) is { } lost)
                {
                    return lost;
                }
            }
            else
            {
                // Nothing stored here: whatever the candidate put at the path goes.
                foreach (var child in Children(candidate[name]))
                {
                    Remove(child, steps, step + 1);
                }
            }
        }

        return null;
    }

    /// <summary>Whether anything is at steps[step..] below <paramref name="node"/>.</summary>
    private static bool Holds(JsonObject node, string[] steps, int step) =>
        Matching(node, steps[step]).Any(name => step == steps.Length - 1 || Children(node[name]).Any(child => Holds(child, steps, step + 1)));

    private static IEnumerable<JsonObject> Children(JsonNode? node) => node switch
    {
        JsonObject single => [single],
        JsonArray many => many.OfType<JsonObject>(),
        _ => [],
    };

    /// <summary>The property names a step names: the element, its primitive extension, and the typed forms of a choice.</summary>
    private static List<string> Matching(JsonObject node, string step)
    {
        var element = step.EndsWith("[x]", StringComparison.Ordinal) ? step[..^3] : step;
        var names = new List<string>();
        foreach (var (name, _) in node)
        {
            var bare = name.StartsWith('_') ? name[1..] : name;
            if (bare == element || (bare.Length > element.Length && bare.StartsWith(element, StringComparison.Ordinal) && IsTypeSuffix(bare[element.Length..])))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>Whether <paramref name="suffix"/> names a FHIR data type, as in <c>valueQuantity</c> or <c>deceasedBoolean</c>.</summary>
    private static bool IsTypeSuffix(string suffix) =>
        char.IsAsciiLetterUpper(suffix[0])
        && (ModelInfo.IsDataType(suffix) || ModelInfo.IsPrimitive(char.ToLowerInvariant(suffix[0]) + suffix[1..]) || suffix is "Reference" or "Meta" or "Narrative");
}

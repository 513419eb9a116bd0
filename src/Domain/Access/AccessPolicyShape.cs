using System.Text.Json;

namespace Enclave.Domain.Access;

/// <summary>
/// The elements an AccessPolicy (and a ProjectMembership, which carries the policies) may have, each with its JSON kind. A policy is read against this list before anything
/// else, so an element Enclave does not enforce (a misspelling such as <c>criterion</c> or <c>readOnly</c>, or a Medplum
/// field that is not implemented) is refused by name instead of being dropped by the deserializer, which would
/// enforce the rule as if it were absent (fail open). Names are case-sensitive, as in FHIR.
/// </summary>
public static class AccessPolicyShape
{
    private enum Kind
    {
        String,
        Boolean,
        Opaque,
    }

    /// <summary>An element: a scalar kind, an object with its own elements, or an array of either.</summary>
    private sealed record Element(Kind Kind = Kind.String, IReadOnlyDictionary<string, Element>? Children = null, bool IsArray = false);

    private static readonly Element s_string = new();

    private static readonly Element s_strings = new(IsArray: true);

    private static readonly Dictionary<string, Element> s_reference = new(StringComparer.Ordinal)
    {
        ["reference"] = s_string,
        ["display"] = s_string,
    };

    private static readonly Dictionary<string, Element> s_rule = new(StringComparer.Ordinal)
    {
        ["resourceType"] = s_string,
        ["compartment"] = new(Children: s_reference),
        ["criteria"] = s_string,
        ["readonly"] = new(Kind.Boolean),
        ["interaction"] = s_strings,
        ["hiddenFields"] = s_strings,
        ["readonlyFields"] = s_strings,
        ["writeConstraint"] = new(Children: new Dictionary<string, Element>(StringComparer.Ordinal)
        {
            ["language"] = s_string,
            ["expression"] = s_string,
            ["description"] = s_string,
        }, IsArray: true),
    };

    private static readonly Dictionary<string, Element> s_policy = new(StringComparer.Ordinal)
    {
        ["resourceType"] = s_string,
        ["id"] = s_string,
        // Metadata about the stored resource; it grants and restricts nothing.
        ["meta"] = new(Kind.Opaque),
        ["name"] = s_string,
        ["compartment"] = new(Children: s_reference),
        ["resource"] = new(Children: s_rule, IsArray: true),
        ["ipAccessRule"] = new(Children: new Dictionary<string, Element>(StringComparer.Ordinal)
        {
            ["name"] = s_string,
            ["value"] = s_string,
            ["action"] = s_string,
        }, IsArray: true),
    };

    /// <summary>
    /// A membership's elements: an element Enclave does not implement (Medplum's <c>active</c>, say) or a misspelled
    /// <c>access</c> would otherwise be dropped, and a membership without policies is unrestricted.
    /// </summary>
    private static readonly Dictionary<string, Element> s_membership = new(StringComparer.Ordinal)
    {
        ["resourceType"] = s_string,
        ["id"] = s_string,
        ["meta"] = new(Kind.Opaque),
        ["project"] = new(Children: s_reference),
        ["user"] = new(Children: s_reference),
        ["profile"] = new(Children: s_reference),
        ["admin"] = new(Kind.Boolean),
        ["firstName"] = s_string,
        ["lastName"] = s_string,
        ["access"] = new(Children: new Dictionary<string, Element>(StringComparer.Ordinal)
        {
            ["policy"] = new(Children: s_reference),
            ["parameter"] = new(Children: new Dictionary<string, Element>(StringComparer.Ordinal)
            {
                ["name"] = s_string,
                ["valueString"] = s_string,
                ["valueReference"] = new(Children: s_reference),
            }, IsArray: true),
        }, IsArray: true),
        ["accessPolicy"] = new(Children: s_reference),
    };

    /// <summary>The first element of <paramref name="body"/> that is unknown, repeated or of the wrong kind, with its path; null when none.</summary>
    public static (string Problem, string Path)? Check(JsonElement body) => Check(body, s_policy, "AccessPolicy");

    /// <summary>The same check for a ProjectMembership.</summary>
    public static (string Problem, string Path)? CheckMembership(JsonElement body) => Check(body, s_membership, "ProjectMembership");

    private static (string Problem, string Path)? Check(JsonElement body, IReadOnlyDictionary<string, Element> elements, string type) =>
        body.ValueKind == JsonValueKind.Object
            ? Object(body, elements, type)
            : ($"{type} must be a JSON object.", type);

    private static (string, string)? Object(JsonElement json, IReadOnlyDictionary<string, Element> elements, string path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in json.EnumerateObject())
        {
            var at = $"{path}.{property.Name}";
            if (!elements.TryGetValue(property.Name, out var element))
            {
                return ($"{at} is not a known element; Enclave refuses what it does not enforce (see docs/access-policies.md).", at);
            }

            if (!seen.Add(property.Name))
            {
                return ($"{at} appears more than once.", at);
            }

            if (element.IsArray)
            {
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    return ($"{at} must be an array.", at);
                }

                var i = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (Value(item, element, $"{at}[{i++}]") is { } problem)
                    {
                        return problem;
                    }
                }
            }
            else if (Value(property.Value, element, at) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static (string, string)? Value(JsonElement json, Element element, string path) => element switch
    {
        { Children: { } children } => json.ValueKind == JsonValueKind.Object ? Object(json, children, path) : ($"{path} must be an object.", path),
        { Kind: Kind.Opaque } => json.ValueKind == JsonValueKind.Object ? null : ($"{path} must be an object.", path),
        { Kind: Kind.Boolean } => json.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : ($"{path} must be true or false.", path),
        _ => json.ValueKind == JsonValueKind.String ? null : ($"{path} must be a string.", path),
    };
}

using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Finds the literal references of a resource with the FHIRPath of each, so a write can refuse a reference to a
/// resource that is not in the caller's project or a project it links to. Contained resources are walked like the
/// container (their references are the container's: they are stored with it). Contained (<c>#id</c>) and absolute
/// references (<c>https://…</c>, <c>urn:…</c>) are not checked: they point outside this server's partitions.
/// </summary>
public static class ReferenceCheck
{
    /// <summary>Every relative reference in <paramref name="resource"/> with its location, e.g. <c>Observation.subject</c>.</summary>
    public static IEnumerable<(string Path, string Reference)> References(Resource resource) =>
        All(resource).Where(r => IsChecked(r.Reference.Reference)).Select(r => (r.Path, r.Reference.Reference!));

    /// <summary>Every reference element of <paramref name="resource"/>, its contained resources included, with its location.</summary>
    public static IEnumerable<(string Path, ResourceReference Reference)> All(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Walk(resource, resource.TypeName);
    }

    /// <summary>Whether <paramref name="reference"/> must name a resource of this server.</summary>
    public static bool IsChecked(string? reference) =>
        reference is { Length: > 0 } && !reference.StartsWith('#') && !Uri.TryCreate(reference, UriKind.Absolute, out _);

    /// <summary>The <c>Type/id</c> a checked reference names, or null when it is not a valid relative reference.</summary>
    public static string? Target(string reference) =>
        LocalReference.TryParse(reference, out var type, out var id) ? $"{type}/{id}" : null;

    private static IEnumerable<(string, ResourceReference)> Walk(Base node, string path)
    {
        foreach (var (name, value) in node.EnumerateElements())
        {
            if (value is IReadOnlyList<Base> list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    foreach (var found in Visit(list[i], $"{path}.{name}[{i}]"))
                    {
                        yield return found;
                    }
                }
            }
            else if (value is Base single)
            {
                foreach (var found in Visit(single, $"{path}.{name}"))
                {
                    yield return found;
                }
            }
        }
    }

    private static IEnumerable<(string, ResourceReference)> Visit(Base value, string path)
    {
        if (value is ResourceReference reference)
        {
            yield return (path, reference);
        }

        if (value is not PrimitiveType)
        {
            foreach (var found in Walk(value, path))
            {
                yield return found;
            }
        }
    }
}

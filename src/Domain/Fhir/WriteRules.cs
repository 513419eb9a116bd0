using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// What every written resource must satisfy beyond parsing, checked on every write (the resource, its contained
/// resources, and any resource nested in it): ids are FHIR ids, and narratives are FHIR XHTML — a
/// <c>&lt;div&gt;</c> in the XHTML namespace with only the elements and attributes FHIR allows (no script, forms,
/// styles sheets, event attributes, or other namespaces). Stored resources are not re-checked when read.
/// </summary>
public static class WriteRules
{
    /// <summary>A 400 outcome naming the first problem's location, or null when <paramref name="resource"/> may be written.</summary>
    public static OperationOutcome? Check(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);

        // An explicit stack: the parser bounds the depth, but this walk does not rely on it.
        var pending = new Stack<(Base Node, string Path)>();
        pending.Push((resource, resource.TypeName));
        while (pending.Count > 0)
        {
            var (node, path) = pending.Pop();
            switch (node)
            {
                case Resource { Id: { } id } when !FhirId.IsValid(id):
                    return FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                        $"'{id}' is not a FHIR id (1 to {FhirId.MaxLength} letters, digits, '-' and '.').", $"{path}.id");
                case Narrative { Div: { } div } when NarrativeXhtml.Problem(div) is { } problem:
                    return FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, $"The narrative is not valid FHIR XHTML: {problem}", $"{path}.div");
                case PrimitiveType:
                    continue;
            }

            foreach (var (name, value) in node.EnumerateElements())
            {
                if (value is IReadOnlyList<Base> list)
                {
                    for (var i = 0; i < list.Count; i++)
                    {
                        pending.Push((list[i], $"{path}.{name}[{i}]"));
                    }
                }
                else if (value is Base single)
                {
                    pending.Push((single, $"{path}.{name}"));
                }
            }
        }

        return null;
    }
}

using Enclave.Domain.Fhir;

namespace Enclave.Domain.Search;

/// <summary>A relative literal reference <c>Type/id</c> (optionally <c>/_history/n</c>) to a resource on this server.</summary>
public static class LocalReference
{
    /// <summary>Splits <paramref name="reference"/> into a known resource type and an id; false for anything else.</summary>
    public static bool TryParse(string reference, out string type, out string id)
    {
        ArgumentNullException.ThrowIfNull(reference);
        type = id = string.Empty;

        // Two segments, or four whose third is _history (the version may be anything): found by index, not by Split,
        // since access decisions parse every reference a criterion looks at.
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var rest = reference.AsSpan(slash + 1);
        var end = rest.IndexOf('/');
        if (end >= 0)
        {
            var history = rest[(end + 1)..];
            var version = history.IndexOf('/');
            if (version < 0 || !history[..version].SequenceEqual("_history") || history[(version + 1)..].Contains('/'))
            {
                return false;
            }
        }

        var candidate = reference[..slash];
        var candidateId = end < 0 ? reference[(slash + 1)..] : rest[..end].ToString();
        if (!ResourceTypes.IsKnown(candidate) || !FhirId.IsValid(candidateId))
        {
            return false;
        }

        (type, id) = (candidate, candidateId);
        return true;
    }
}

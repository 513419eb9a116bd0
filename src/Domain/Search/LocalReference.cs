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
        var parts = reference.Split('/');
        if (parts.Length is not (2 or 4) || (parts.Length == 4 && parts[2] != "_history"))
        {
            return false;
        }

        if (!ResourceTypes.IsKnown(parts[0]) || !FhirId.IsValid(parts[1]))
        {
            return false;
        }

        type = parts[0];
        id = parts[1];
        return true;
    }
}

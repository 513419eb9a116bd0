namespace Enclave.Domain.Fhir;

/// <summary>
/// A FHIR logical id, <c>[A-Za-z0-9\-\.]{1,64}</c>: the one test for ids in addresses, bodies, references and
/// bundle URLs. Nothing else reaches the store, so no id can collide with a storage name (<c>Patient:1</c> is a
/// version document's) or carry characters Cosmos DB refuses.
/// </summary>
public static class FhirId
{
    /// <summary>The longest id.</summary>
    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="id"/> is a valid FHIR id.</summary>
    public static bool IsValid(string? id)
    {
        if (id is not { Length: > 0 and <= MaxLength })
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}

using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Access;

/// <summary>
/// Checks an operation's <c>Parameters</c> before it is read: every name is one the operation knows, and the ones it
/// takes once appear once. Firely's single-value getters throw on a repeated name (a 500 before this check), and an
/// unknown name would be silently ignored.
/// </summary>
internal static partial class OperationParameters
{
    /// <summary>A relative reference <c>Type/id</c> with a FHIR id (<c>[A-Za-z0-9\-\.]{1,64}</c>).</summary>
    [GeneratedRegex(@"^[A-Z][A-Za-z]+/[A-Za-z0-9\-\.]{1,64}$")]
    private static partial Regex Reference();

    /// <summary>Why <paramref name="parameters"/> cannot be read, naming the parameter; null when they can.</summary>
    public static string? Problem(Parameters parameters, IReadOnlySet<string> once, IReadOnlySet<string> repeatable)
    {
        foreach (var group in parameters.Parameter.GroupBy(p => p.Name ?? string.Empty, StringComparer.Ordinal))
        {
            if (!once.Contains(group.Key) && !repeatable.Contains(group.Key))
            {
                return $"'{group.Key}' is not a parameter of this operation ({string.Join(", ", once.Concat(repeatable))}).";
            }

            if (once.Contains(group.Key) && group.Count() > 1)
            {
                return $"The parameter '{group.Key}' is given {group.Count()} times; it is taken once.";
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="reference"/> is <c>Type/id</c> with a FHIR resource type and a FHIR id.</summary>
    public static bool IsReference(string? reference) =>
        reference is not null && Reference().IsMatch(reference) && Domain.Fhir.ResourceTypes.IsKnown(reference[..reference.IndexOf('/', StringComparison.Ordinal)]);
}

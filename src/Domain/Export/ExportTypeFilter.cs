using System.Text.RegularExpressions;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Export;

/// <summary>
/// One <c>_typeFilter</c> query, <c>Type?params</c>: the resources of its type the export writes must match at least
/// one of the type's filters (a logical OR). Each filter is a search of its own (see <see cref="ExportScope"/>).
/// </summary>
/// <param name="Type">The type filtered.</param>
/// <param name="Parameters">The search parameters, unescaped, in order.</param>
public sealed partial record ExportTypeFilter(string Type, IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    /// <summary>The most filters one kick-off may give.</summary>
    public const int MaxFilters = 20;

    /// <summary>
    /// What shapes a search's answer rather than its matches; the IG forbids <c>_include</c> and <c>_sort</c> in a
    /// filter, and the others mean nothing to an export.
    /// </summary>
    private static readonly HashSet<string> s_refused = new(StringComparer.Ordinal)
    {
        "_include", "_revinclude", "_include:iterate", "_revinclude:iterate", "_sort", "_count", "_elements", "_summary", "_total", "_contained", "_containedType",
    };

    /// <summary>Where one query of a comma-separated list begins: a comma before <c>Type?</c> (or its escaped form), not one inside a query.</summary>
    [GeneratedRegex(@",(?=[A-Z][A-Za-z]+(?:\?|%3[Ff]))")]
    private static partial Regex QueryStart();

    /// <summary>
    /// Reads one <c>_typeFilter</c> value (a comma-separated list of URL-encoded queries) into <paramref name="filters"/>.
    /// <paramref name="ignore"/> decides what an unusable part costs: a refusal, or (lenient) nothing, the part
    /// dropped and listed. A query that does not parse as a search of its type is refused.
    /// </summary>
    public static OperationOutcome? Parse(string value, ExportLevel level, List<ExportTypeFilter> filters,
        Func<string, string, OperationOutcome?> ignore)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(ignore);
        foreach (var piece in QueryStart().Split(value).Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            var query = piece.Contains('?', StringComparison.Ordinal) ? piece.Trim() : Uri.UnescapeDataString(piece.Trim());
            var question = query.IndexOf('?', StringComparison.Ordinal);
            var type = question < 0 ? query : query[..question];
            if (!ResourceTypes.IsKnown(type) || question < 0)
            {
                return Refuse($"_typeFilter takes URL-encoded queries Type?parameters, not '{piece}'.");
            }

            if (level != ExportLevel.System && !PatientCompartment.Parameters.ContainsKey(type))
            {
                if (ignore($"_typeFilter {type}: not in the Patient compartment", $"_typeFilter names {type}, which is not in the Patient compartment a {level} export holds.") is { } refused)
                {
                    return refused;
                }

                continue;
            }

            var parameters = new List<KeyValuePair<string, string>>();
            foreach (var pair in query[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
                var text = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
                var problem = s_refused.Contains(name) ? $"{name} may not be used in _typeFilter."
                    : name.StartsWith("_has:", StringComparison.Ordinal) || name.Contains('.', StringComparison.Ordinal)
                        ? $"Chained and _has parameters ({name}) are not supported in _typeFilter."
                        : null;
                if (problem is not null)
                {
                    if (ignore($"_typeFilter {type}: {name}", problem) is { } refused)
                    {
                        return refused;
                    }

                    continue;
                }

                parameters.Add(new(name, text));
            }

            if (SearchParser.Parse(type, parameters, strict: true).Refusal is { } invalid)
            {
                return Refuse($"_typeFilter {type}?…: {invalid.Issue.FirstOrDefault()?.Diagnostics}");
            }

            if (filters.Count == MaxFilters)
            {
                return Refuse($"_typeFilter may give at most {MaxFilters} queries.");
            }

            filters.Add(new ExportTypeFilter(type, parameters));
        }

        return null;
    }

    private static OperationOutcome Refuse(string message) => FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, message, "_typeFilter");
}

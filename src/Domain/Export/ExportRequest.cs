using System.Globalization;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Export;

/// <summary>
/// A system-level Bulk Data kick-off (<c>[base]/$export</c>, Bulk Data Access IG 2.0.0) as Enclave runs it: the
/// resource types (empty: every type the caller may search) and <c>_since</c>.
/// </summary>
/// <param name="Types">The <c>_type</c>s asked for, in order; empty for all.</param>
/// <param name="Since">Only resources changed after this instant (<c>_since</c>).</param>
/// <param name="Ignored">Parameters not supported here that <c>Prefer: handling=lenient</c> let the kick-off ignore.</param>
public sealed record ExportRequest(IReadOnlyList<string> Types, DateTimeOffset? Since, IReadOnlyList<string> Ignored)
{
    /// <summary>The <c>_outputFormat</c> spellings the IG allows for NDJSON; the first is the one files carry.</summary>
    public static readonly IReadOnlyList<string> OutputFormats = ["application/fhir+ndjson", "application/ndjson", "ndjson"];

    /// <summary>The kick-off parameters the IG defines that this server does not run yet.</summary>
    private static readonly HashSet<string> s_notSupported =
        new(StringComparer.Ordinal) { "_until", "_typeFilter", "_elements", "patient", "includeAssociatedData" };

    /// <summary>The most <c>_type</c>s one kick-off may name.</summary>
    public const int MaxTypes = 200;

    /// <summary>The most parameters lenient handling ignores; past that the kick-off is refused (they are kept with the job).</summary>
    public const int MaxIgnored = 20;

    /// <summary>
    /// Reads kick-off <paramref name="parameters"/> (from the query string, or the values of a <c>Parameters</c> body):
    /// an unknown or unsupported parameter, a malformed
    /// value or an unknown type is refused (400), unless <paramref name="lenient"/>, in which case unsupported
    /// parameters are ignored and listed.
    /// </summary>
    public static (ExportRequest? Request, OperationOutcome? Refusal) Parse(IEnumerable<KeyValuePair<string, string>> parameters, bool lenient)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var types = new List<string>();
        var ignored = new List<string>();
        DateTimeOffset? since = null;
        var once = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in parameters)
        {
            if (name is "_outputFormat" or "_since" && !once.Add(name))
            {
                return Refuse($"{name} may be given once.", name);
            }

            switch (name)
            {
                case "_outputFormat":
                    if (!OutputFormats.Contains(value, StringComparer.Ordinal))
                    {
                        return Refuse($"_outputFormat must be one of {string.Join(", ", OutputFormats)}.", name);
                    }

                    break;
                case "_since":
                    if (!TryInstant(value, out var instant))
                    {
                        return Refuse("_since must be a FHIR instant with a time zone, e.g. 2026-01-31T12:00:00Z.", name);
                    }

                    since = instant;
                    break;
                case "_type":
                    foreach (var type in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!ResourceTypes.IsKnown(type))
                        {
                            return Refuse($"'{type}' in _type is not a FHIR R4 resource type.", name);
                        }

                        if (!types.Contains(type, StringComparer.Ordinal))
                        {
                            types.Add(type);
                        }
                    }

                    if (types.Count > MaxTypes)
                    {
                        return Refuse($"_type may name at most {MaxTypes} types.", name);
                    }

                    break;
                case var unsupported when s_notSupported.Contains(unsupported) && !lenient:
                    return Refuse($"{unsupported} is not supported by this server's $export (Prefer: handling=lenient ignores it).", name, OperationOutcome.IssueType.NotSupported);
                case var unknown when !lenient:
                    return Refuse($"{unknown} is not a parameter of $export.", name);
                case var again when ignored.Contains(again, StringComparer.Ordinal):
                    break; // patient, _typeFilter and includeAssociatedData may repeat
                default:
                    if (ignored.Count == MaxIgnored)
                    {
                        return Refuse($"At most {MaxIgnored} parameters are ignored; this kick-off has more.", name);
                    }

                    ignored.Add(name);
                    break;
            }
        }

        return (new ExportRequest(types, since, ignored), null);
    }

    /// <summary>An instant with a time zone; a date alone or a local time is not one.</summary>
    private static bool TryInstant(string value, out DateTimeOffset instant)
    {
        instant = default;
        return value.Length >= 20 && value[10] == 'T' && (value.EndsWith('Z') || value[^6] is '+' or '-')
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }

    private static (ExportRequest?, OperationOutcome?) Refuse(string message, string parameter,
        OperationOutcome.IssueType code = OperationOutcome.IssueType.Invalid) =>
        (null, FhirErrors.Outcome(code, message, parameter));
}

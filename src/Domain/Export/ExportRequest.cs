using System.Globalization;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Export;

/// <summary>
/// A Bulk Data kick-off (Bulk Data Access IG 2.0.0) as Enclave runs it: the level, the resource types (empty: every
/// type the level covers that the caller may search), <c>_since</c>, and the patients it is restricted to.
/// </summary>
/// <param name="Types">The <c>_type</c>s asked for, in order; empty for all.</param>
/// <param name="Since">Only resources changed after this instant (<c>_since</c>).</param>
/// <param name="Ignored">What <c>Prefer: handling=lenient</c> let the kick-off ignore: each a parameter name, then why.</param>
public sealed record ExportRequest(IReadOnlyList<string> Types, DateTimeOffset? Since, IReadOnlyList<string> Ignored)
{
    /// <summary>The <c>_outputFormat</c> spellings the IG allows for NDJSON; the first is the one files carry.</summary>
    public static readonly IReadOnlyList<string> OutputFormats = ["application/fhir+ndjson", "application/ndjson", "ndjson"];

    /// <summary>The kick-off parameters the IG defines that this server does not run.</summary>
    private static readonly HashSet<string> s_notSupported = new(StringComparer.Ordinal) { "_until", "includeAssociatedData" };

    /// <summary>The most <c>_type</c>s one kick-off may name.</summary>
    public const int MaxTypes = 200;

    /// <summary>The most parameters lenient handling ignores; past that the kick-off is refused (they are kept with the job).</summary>
    public const int MaxIgnored = 20;

    /// <summary>The most patients the <c>patient</c> parameter may name (they are kept with the job).</summary>
    public const int MaxPatients = 1000;

    /// <summary>The level of the kick-off.</summary>
    public ExportLevel Level { get; init; }

    /// <summary>The group exported (Group level).</summary>
    public string? GroupId { get; init; }

    /// <summary>The version of the group read at kick-off: every step reads its members from this version.</summary>
    public int GroupVersion { get; init; }

    /// <summary>The ids of the patients named by <c>patient</c> (distinct, in order): only their compartments are exported.</summary>
    public IReadOnlyList<string> Patients { get; init; } = [];

    /// <summary>The <c>_typeFilter</c> queries: a type with filters is written as the union of their matches.</summary>
    public IReadOnlyList<ExportTypeFilter> TypeFilters { get; init; } = [];

    /// <summary>The filters of <paramref name="type"/>, in order (empty: unfiltered).</summary>
    public IReadOnlyList<ExportTypeFilter> FiltersOf(string type) => [.. TypeFilters.Where(f => f.Type == type)];

    /// <summary>The <c>_elements</c> asked for, each <c>element</c> (every type) or <c>Type.element</c>.</summary>
    public IReadOnlyList<string> Elements { get; init; } = [];

    /// <summary>The most <c>_elements</c> one kick-off may name.</summary>
    public const int MaxElements = 100;

    /// <summary>The root elements <c>_elements</c> keeps of <paramref name="type"/> (with those always kept); empty: the type is not trimmed.</summary>
    public IReadOnlyList<string> ElementsOf(string type) =>
        [.. Elements.Where(e => !e.Contains('.', StringComparison.Ordinal) || e.StartsWith(type + ".", StringComparison.Ordinal)).Select(e => e[(e.IndexOf('.', StringComparison.Ordinal) + 1)..])];

    /// <summary>The types a Patient or Group export covers: those of the Patient CompartmentDefinition (Patient among them).</summary>
    public static IReadOnlyList<string> CompartmentTypes { get; } = [.. PatientCompartment.Parameters.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Reads kick-off <paramref name="parameters"/> (from the query string, or the values of a <c>Parameters</c> body) of
    /// a kick-off at <paramref name="level"/>: an unknown or unsupported parameter, a malformed value or an unknown type
    /// is refused (400), unless <paramref name="lenient"/>, in which case what is not supported is ignored and listed.
    /// </summary>
    public static (ExportRequest? Request, OperationOutcome? Refusal) Parse(IEnumerable<KeyValuePair<string, string>> parameters, bool lenient,
        ExportLevel level = ExportLevel.System, string? groupId = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var types = new List<string>();
        var patients = new List<string>();
        var filters = new List<ExportTypeFilter>();
        var elements = new List<string>();
        var ignored = new List<string>();
        DateTimeOffset? since = null;
        var once = new HashSet<string>(StringComparer.Ordinal);
        OperationOutcome? Ignore(string what, string message, string parameter, OperationOutcome.IssueType code = OperationOutcome.IssueType.Invalid)
        {
            if (!lenient)
            {
                return Refuse(message, parameter, code).Item2;
            }

            if (!ignored.Contains(what, StringComparer.Ordinal))
            {
                if (ignored.Count == MaxIgnored)
                {
                    return Refuse($"At most {MaxIgnored} parameters are ignored; this kick-off has more.", parameter).Item2;
                }

                ignored.Add(what);
            }

            return null;
        }

        foreach (var (name, value) in parameters)
        {
            if (name is "_outputFormat" or "_since" && !once.Add(name))
            {
                return Refuse($"{name} may be given once.", name);
            }

            OperationOutcome? problem = null;
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

                        if (level != ExportLevel.System && !PatientCompartment.Parameters.ContainsKey(type))
                        {
                            problem ??= Ignore($"_type {type}: not in the Patient compartment", $"'{type}' in _type is not in the Patient compartment, which a {level} export holds.", name);
                        }
                        else if (!types.Contains(type, StringComparer.Ordinal))
                        {
                            types.Add(type);
                        }
                    }

                    if (types.Count > MaxTypes)
                    {
                        return Refuse($"_type may name at most {MaxTypes} types.", name);
                    }

                    break;
                case "patient" when level == ExportLevel.System:
                    problem = Ignore("patient: not at system level", "patient applies to Patient and Group exports, not to [base]/$export.", name);
                    break;
                case "patient":
                    foreach (var reference in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!LocalReference.TryParse(reference, out var type, out var id) || type != "Patient" || reference.Contains("/_history/", StringComparison.Ordinal))
                        {
                            return Refuse($"patient takes references Patient/[id], not '{reference}'.", name);
                        }

                        if (!patients.Contains(id, StringComparer.Ordinal))
                        {
                            patients.Add(id);
                        }
                    }

                    if (patients.Count > MaxPatients)
                    {
                        return Refuse($"patient may name at most {MaxPatients} patients.", name);
                    }

                    break;
                case "_elements":
                    foreach (var element in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        var dot = element.IndexOf('.', StringComparison.Ordinal);
                        if ((dot >= 0 && !ResourceTypes.IsKnown(element[..dot])) || !IsElementName(element[(dot + 1)..]))
                        {
                            return Refuse($"_elements takes root elements, element or Type.element, not '{element}'.", name);
                        }

                        if (!elements.Contains(element, StringComparer.Ordinal))
                        {
                            elements.Add(element);
                        }
                    }

                    if (elements.Count > MaxElements)
                    {
                        return Refuse($"_elements may name at most {MaxElements} elements.", name);
                    }

                    break;
                case "_typeFilter":
                    problem = ExportTypeFilter.Parse(value, level, filters, (what, message) => Ignore(what, message, name));
                    break;
                case var unsupported when s_notSupported.Contains(unsupported):
                    problem = Ignore(unsupported, $"{unsupported} is not supported by this server's $export (Prefer: handling=lenient ignores it).", name, OperationOutcome.IssueType.NotSupported);
                    break;
                default:
                    problem = Ignore(name, $"{name} is not a parameter of $export.", name);
                    break;
            }

            if (problem is not null)
            {
                return (null, problem);
            }
        }

        if (types.Count == 0 && ignored.Any(i => i.StartsWith("_type ", StringComparison.Ordinal)))
        {
            return Refuse("_type names no type this export can hold.", "_type");
        }

        if (types.Count > 0 && filters.FirstOrDefault(f => !types.Contains(f.Type, StringComparer.Ordinal)) is { } stray)
        {
            return Refuse($"_typeFilter filters {stray.Type}, which _type does not name.", "_typeFilter");
        }

        return (new ExportRequest(types, since, ignored) { Level = level, GroupId = groupId, Patients = patients, TypeFilters = filters, Elements = elements }, null);
    }

    /// <summary>The types the export writes, in order: those asked for, else every type its level covers.</summary>
    public IReadOnlyList<string> TypesExported(IReadOnlyList<string> allTypes) =>
        Types.Count > 0 ? Types
        : Level == ExportLevel.System ? allTypes
        : Level == ExportLevel.Backup ? [.. allTypes, Backup.BackupScope.TenancyType]
        : CompartmentTypes;

    /// <summary>A backup's request: every type, then the tenancy resources; with <paramref name="versions"/> every version.</summary>
    public static ExportRequest ForBackup(bool versions) => new([], null, []) { Level = ExportLevel.Backup, Versions = versions };

    /// <summary>Whether a backup holds every version written up to T (otherwise the versions current at T).</summary>
    public bool Versions { get; init; }

    /// <summary>An element's name: a letter, then letters and digits.</summary>
    private static bool IsElementName(string name) => name.Length is > 0 and <= 64 && char.IsAsciiLetterLower(name[0]) && name.All(char.IsAsciiLetterOrDigit);

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

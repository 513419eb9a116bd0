namespace Enclave.Domain.Search;

/// <summary>
/// One value a resource is found by, for one search parameter: what <see cref="ResourceIndexer"/> extracts and what
/// both search evaluators (in memory and the database translation) match. Which properties are set depends on the
/// parameter's type:
/// <list type="bullet">
/// <item>string: <see cref="Normalized"/> and <see cref="Exact"/>;</item>
/// <item>token: <see cref="System"/> and <see cref="Code"/>, or <see cref="Display"/> alone for a display or text; an
/// identifier adds <see cref="TypeSystem"/> and <see cref="TypeCode"/> for its type;</item>
/// <item>reference: <see cref="Type"/> and <see cref="Id"/> for a relative reference, <see cref="Uri"/> for an absolute
/// one, <see cref="IdentifierValue"/> and <see cref="IdentifierSystem"/> for a logical identifier;</item>
/// <item>date: <see cref="Low"/> and <see cref="High"/>, UTC instant text (see <see cref="DateRange"/>);</item>
/// <item>number: <see cref="Value"/>; quantity: <see cref="Value"/>, <see cref="System"/>, <see cref="Code"/> and the
/// unit text in <see cref="Uri"/>; uri: <see cref="Uri"/>;</item>
/// <item>composite: <see cref="Components"/>, one entry per component of the same element.</item>
/// </list>
/// Storage writes it in one place (<c>IndexEntryJson</c> in Enclave.Storage), in the short-keyed form documents have
/// always had.
/// </summary>
public sealed record IndexEntry
{
    /// <summary>A string, normalized (<see cref="SearchText.Normalize"/>).</summary>
    public string? Normalized { get; init; }

    /// <summary>A string as written, for <c>:exact</c>.</summary>
    public string? Exact { get; init; }

    /// <summary>A token's or quantity's system.</summary>
    public string? System { get; init; }

    /// <summary>A token's or quantity's code.</summary>
    public string? Code { get; init; }

    /// <summary>A coding's display or a concept's text, normalized, for <c>:text</c>.</summary>
    public string? Display { get; init; }

    /// <summary>The system of an identifier's type, for <c>:of-type</c>.</summary>
    public string? TypeSystem { get; init; }

    /// <summary>The code of an identifier's type, for <c>:of-type</c>.</summary>
    public string? TypeCode { get; init; }

    /// <summary>The type a relative reference points at.</summary>
    public string? Type { get; init; }

    /// <summary>The id a relative reference points at.</summary>
    public string? Id { get; init; }

    /// <summary>A uri, an absolute reference, or a quantity's unit text (one slot, as in the stored documents).</summary>
    public string? Uri { get; init; }

    /// <summary>The value of a reference's logical identifier.</summary>
    public string? IdentifierValue { get; init; }

    /// <summary>The system of a reference's logical identifier.</summary>
    public string? IdentifierSystem { get; init; }

    /// <summary>The lower bound of a date's range.</summary>
    public string? Low { get; init; }

    /// <summary>The upper bound of a date's range.</summary>
    public string? High { get; init; }

    /// <summary>A number, or a quantity's value.</summary>
    public decimal? Value { get; init; }

    /// <summary>A composite's components in the parameter's order; null for every other type.</summary>
    public IReadOnlyList<IndexEntry>? Components { get; init; }

    /// <summary>The relative reference <c>Type/id</c>, or null when this is no such reference.</summary>
    public string? Reference => Type is not null && Id is not null ? $"{Type}/{Id}" : null;

    /// <summary>
    /// The scalar <c>_sort</c> orders by: the normalized string, the date's lower bound, the number, the code, the
    /// uri or the reference, the first that is set; null when none is (a display alone, an identifier reference).
    /// </summary>
    public object? SortValue => Normalized ?? Low ?? (object?)Value ?? Code ?? Uri ?? Reference;
}

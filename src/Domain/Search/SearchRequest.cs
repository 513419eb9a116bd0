namespace Enclave.Domain.Search;

/// <summary>A parsed FHIR search of one resource type: the criteria (all must hold) and the page size.</summary>
/// <param name="ResourceType">The type searched.</param>
/// <param name="Criteria">The criteria, ANDed.</param>
/// <param name="Count">The page size.</param>
/// <param name="Ignored">Parameters that were not understood and were ignored (reported to the client).</param>
public sealed record SearchRequest(string ResourceType, IReadOnlyList<SearchCriterion> Criteria, int Count, IReadOnlyList<string> Ignored)
{
    /// <summary>
    /// A search across types (<c>GET [base]?…</c>): <see cref="ResourceType"/> is empty and these are the <c>_type</c>s
    /// asked for (empty: every type). Only the common parameters apply.
    /// </summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>Whether this searches across types.</summary>
    public bool IsSystemSearch => ResourceType.Length == 0;

    /// <summary>Whether a resource of <paramref name="type"/> can match.</summary>
    public bool Covers(string type) => IsSystemSearch ? Types.Count == 0 || Types.Contains(type) : type == ResourceType;

    /// <summary>
    /// What the caller may see, from its access policy: a resource must match every criterion of at least one group
    /// (an empty group matches everything; no groups, nothing). Null: no restriction. Never parsed from the request.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<SearchCriterion>>? Filter { get; init; }

    /// <summary>The <c>_include</c>s.</summary>
    public IReadOnlyList<SearchInclude> Includes { get; init; } = [];

    /// <summary>The <c>_revinclude</c>s.</summary>
    public IReadOnlyList<SearchInclude> RevIncludes { get; init; } = [];

    /// <summary>The most resources a chain or reverse chain may resolve to.</summary>
    public const int MaxChainMatches = 1000;

    /// <summary>The <c>_sort</c> keys in order (parameter code, descending); empty means newest first.</summary>
    public IReadOnlyList<SortKey> Sort { get; init; } = [];

    /// <summary>The page size when the client names none.</summary>
    public const int DefaultCount = 20;

    /// <summary>The largest page.</summary>
    public const int MaxCount = 1000;
}

namespace Enclave.Domain.Search;

/// <summary>One <c>_sort</c> key: a parameter code (or <c>_id</c>, <c>_lastUpdated</c>) and its direction.</summary>
/// <param name="Code">The parameter.</param>
/// <param name="Descending">Whether it was given as <c>-code</c>.</param>
public sealed record SortKey(string Code, bool Descending);

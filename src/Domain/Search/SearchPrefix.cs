namespace Enclave.Domain.Search;

/// <summary>The comparison prefixes of date, number and quantity values.</summary>
public enum SearchPrefix
{
    /// <summary>equal (the default).</summary>
    Eq,
    /// <summary>not equal.</summary>
    Ne,
    /// <summary>greater than.</summary>
    Gt,
    /// <summary>less than.</summary>
    Lt,
    /// <summary>greater or equal.</summary>
    Ge,
    /// <summary>less or equal.</summary>
    Le,
    /// <summary>starts after.</summary>
    Sa,
    /// <summary>ends before.</summary>
    Eb,
    /// <summary>approximately (within 10%).</summary>
    Ap,
}

namespace Enclave.Domain.Fhir;

/// <summary>The four writes of one resource; every REST write and every transaction entry is one of them.</summary>
public enum WriteKind
{
    /// <summary>A new resource with an id the server chose (POST).</summary>
    Create,

    /// <summary>The whole resource at a known id, created when it is not there (PUT).</summary>
    Update,

    /// <summary>A change applied to the current version's JSON as the caller sees it (PATCH).</summary>
    Patch,

    /// <summary>A version that records the deletion (DELETE).</summary>
    Delete,
}

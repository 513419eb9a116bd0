namespace Enclave.Domain.Fhir;

/// <summary>One resource write of an atomic commit: the new version, and the current version it replaces (null for a new resource).</summary>
/// <param name="Version">The version to write.</param>
/// <param name="Replacing">The current version as read; the commit fails if it is no longer current.</param>
public sealed record ResourceWrite(StoredResource Version, StoredResource? Replacing);

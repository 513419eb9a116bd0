namespace Enclave.Domain.Fhir;

/// <summary>
/// A guard document written with a commit so that two commits that decided on the same facts cannot both succeed:
/// conditional creates with the same criteria guard the same <see cref="Key"/>. The commit fails unless the guard
/// is still as read (<see cref="ETag"/>, or absent when null).
/// </summary>
/// <param name="Key">What is guarded, e.g. the criteria of a conditional create.</param>
/// <param name="ETag">The guard's ETag when it was read, or null when it did not exist.</param>
public sealed record CommitGuard(string Key, string? ETag);

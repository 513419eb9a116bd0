using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>What the entries of one transaction write, for planning each of its entries against the others.</summary>
/// <param name="References">Every resource (<c>Type/id</c>) the transaction writes: a reference to one of them is valid.</param>
/// <param name="Resources">The resources it creates or updates, by <c>Type/id</c>: a resource about one of these patients takes its accounts.</param>
public sealed record PendingWrites(IReadOnlySet<string> References, IReadOnlyDictionary<string, Resource> Resources);

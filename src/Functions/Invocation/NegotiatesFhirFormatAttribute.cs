namespace Enclave.Functions.Invocation;

/// <summary>
/// Marks a FHIR interaction: its answer format (JSON or XML, <c>_format</c>, <c>Accept</c>, <c>_summary</c>) is
/// negotiated before it runs, and a request asking for nothing the server writes gets 406 without any work done.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class NegotiatesFhirFormatAttribute : Attribute;

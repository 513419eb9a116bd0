namespace Enclave.Domain.Audit;

/// <summary>
/// What one interaction did, as its audit record states it: who (the <see cref="Agent"/>), from where, what it
/// touched (<see cref="Entities"/> as <c>Type/id/_history/v</c>, or a <see cref="Query"/> with every client value
/// hashed), how it ended (<see cref="Status"/>, <see cref="Refusal"/>), which policy rule decided it, and the trace id
/// that finds it in the logs. Never a body, never a value a client sent.
/// </summary>
public sealed record AuditRecord
{
    /// <summary>The function that ran, e.g. <c>FhirRead</c>.</summary>
    public required string Function { get; init; }

    /// <summary>What kind of interaction it was.</summary>
    public required AuditInteraction Interaction { get; init; }

    /// <summary>The HTTP status of the answer.</summary>
    public required int Status { get; init; }

    /// <summary>When the interaction was answered.</summary>
    public required DateTimeOffset Recorded { get; init; }

    /// <summary>Who asked, and from where.</summary>
    public required AuditAgent Agent { get; init; }

    /// <summary>The resources concerned: <c>Type/id</c>, or <c>Type/id/_history/v</c> when the version is known.</summary>
    public IReadOnlyList<string> Entities { get; init; } = [];

    /// <summary>The search or operation parameters, redacted by <see cref="AuditQuery.Redact"/>.</summary>
    public string? Query { get; init; }

    /// <summary>The access policy rule that decided (allowed or refused) the interaction, e.g. <c>AccessPolicy/x resource[0]</c>.</summary>
    public string? Rule { get; init; }

    /// <summary>Why it was refused or failed: the issue code of the answer's OperationOutcome, or null on success.</summary>
    public string? Refusal { get; init; }

    /// <summary>The correlation id the answer carries (<c>X-Correlation-Id</c>) and the logs are keyed by.</summary>
    public required string TraceId { get; init; }
}

/// <summary>
/// Who made an interaction: the project membership, the profile it acts as in the data (a Practitioner, Patient… or
/// the ClientApplication), the User or ClientApplication holding the membership, and the client's address.
/// </summary>
/// <param name="Membership">The <c>ProjectMembership</c> id, or null when the caller was not (yet) bound to one (a refused sign-in).</param>
/// <param name="Profile">The profile reference, e.g. <c>Practitioner/123</c>.</param>
/// <param name="Who">The <c>User/id</c> or <c>ClientApplication/id</c> reference.</param>
/// <param name="Address">The client's IP address, as the edge saw it.</param>
public sealed record AuditAgent(string? Membership, string? Profile, string? Who, string? Address);

/// <summary>
/// The codes an interaction is recorded under: the AuditEvent <c>type</c> (DICOM or HL7), its <c>subtype</c> (the
/// FHIR restful interaction, or the DICOM event), and the <c>action</c> (C, R, U, D or E).
/// </summary>
/// <param name="TypeSystem">The system of <c>AuditEvent.type</c>.</param>
/// <param name="TypeCode">The code of <c>AuditEvent.type</c>.</param>
/// <param name="SubtypeSystem">The system of the first <c>AuditEvent.subtype</c>.</param>
/// <param name="SubtypeCode">The code of the first <c>AuditEvent.subtype</c>.</param>
/// <param name="Action">The AuditEvent action code.</param>
public sealed record AuditInteraction(string TypeSystem, string TypeCode, string SubtypeSystem, string SubtypeCode, string Action)
{
    /// <summary><c>http://terminology.hl7.org/CodeSystem/audit-event-type</c>.</summary>
    public const string AuditEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";

    /// <summary><c>http://hl7.org/fhir/restful-interaction</c>.</summary>
    public const string RestfulInteraction = "http://hl7.org/fhir/restful-interaction";

    /// <summary>DICOM's controlled terminology (<c>http://dicom.nema.org/resources/ontology/DCM</c>).</summary>
    public const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";

    /// <summary>A FHIR RESTful interaction (<c>type</c> rest) with its restful-interaction code.</summary>
    public static AuditInteraction Rest(string interaction, string action) => new(AuditEventType, "rest", RestfulInteraction, interaction, action);

    /// <summary>A sign-in: DICOM 110114 User Authentication / 110122 Login.</summary>
    public static AuditInteraction Login { get; } = new(Dicom, "110114", Dicom, "110122", "E");

    /// <summary>A bulk export: DICOM 110106 Export, subtype the FHIR operation.</summary>
    public static AuditInteraction Export(string action) => new(Dicom, "110106", RestfulInteraction, "operation", action);

    /// <summary>Whether this is a transaction (one record for all its entries).</summary>
    public bool IsTransaction => SubtypeSystem == RestfulInteraction && SubtypeCode == "transaction";
}

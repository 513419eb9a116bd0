using Enclave.Domain.Audit;

namespace Enclave.Functions.Audit;

/// <summary>What an audit record names a function's interaction.</summary>
public enum AuditCategory
{
    /// <summary>A FHIR RESTful interaction (AuditEvent type <c>rest</c>).</summary>
    Rest,

    /// <summary>A bulk export (DICOM 110106 Export).</summary>
    Export,

    /// <summary>A sign-in or token request (DICOM 110114 User Authentication, 110122 Login).</summary>
    Login,
}

/// <summary>
/// Every invocation of the function leaves exactly one audit record (InvocationPipeline), recorded as
/// <see cref="Interaction"/> with <see cref="Action"/>. An HTTP function without it is one of the reviewed public
/// ones that serve no project's data (discovery, health, the CapabilityStatement); a test holds that list.
/// </summary>
/// <param name="interaction">The restful-interaction code (<c>read</c>, <c>search-type</c>, <c>create</c>, <c>operation</c>…).</param>
/// <param name="action">The AuditEvent action: C, R, U, D or E.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class AuditedAttribute(string interaction, string action) : Attribute
{
    /// <summary>The restful-interaction code.</summary>
    public string Interaction { get; } = interaction;

    /// <summary>The AuditEvent action.</summary>
    public string Action { get; } = action;

    /// <summary>What kind of interaction it is.</summary>
    public AuditCategory Category { get; init; }

    /// <summary>The codes the record is written with.</summary>
    public AuditInteraction Codes => Category switch
    {
        AuditCategory.Login => AuditInteraction.Login,
        AuditCategory.Export => AuditInteraction.Export(Action),
        _ => AuditInteraction.Rest(Interaction, Action),
    };
}

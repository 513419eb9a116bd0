using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The FHIR R4 resource type names, compared exactly: <c>patient</c> is not <c>Patient</c>. (Firely's
/// <c>ModelInfo.IsKnownResource</c> ignores case, so it must not decide what a client's type name means.)
/// </summary>
public static class ResourceTypes
{
    private static readonly FrozenSet<string> s_names = ModelInfo.SupportedResources.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="name"/> is exactly the name of a FHIR R4 resource type.</summary>
    public static bool IsKnown(string? name) => name is not null && s_names.Contains(name);
}

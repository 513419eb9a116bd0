namespace Enclave.Api.Tests.Hostile;

/// <summary>Who sends a hostile request: project A's admin, its restricted member, or nobody.</summary>
public enum Caller
{
    AdminA,
    MemberA,
    Anonymous,
}

/// <summary>
/// One hostile request of the corpus. <see cref="Path"/> and <see cref="Body"/> may name the seeded data:
/// <c>{A}</c>, <c>{B}</c> (project ids), <c>{pA}</c>, <c>{oA}</c>, <c>{pB}</c>, <c>{orgB}</c>, <c>{clientB}</c>, <c>{mA}</c>; <c>F/</c>
/// at the start of the path is the FHIR base. <see cref="Expected"/> is the status class (4 for a refusal; 2 where a
/// hostile-looking request is valid and must simply find nothing of B's).
/// </summary>
public sealed record HostileCase(string Family, string Name, string Method, string Path, string? Body = null, string? ContentType = null,
    Caller Caller = Caller.AdminA, int Expected = 4, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>The name xunit shows.</summary>
    public override string ToString() => $"{Family}: {Name}";
}

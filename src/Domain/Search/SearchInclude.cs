namespace Enclave.Domain.Search;

/// <summary>
/// An <c>_include</c> (the resources the matches refer to through <see cref="Code"/>) or <c>_revinclude</c> (the
/// <see cref="SourceType"/> resources that refer to the matches through <see cref="Code"/>).
/// </summary>
/// <param name="SourceType">The type whose reference parameter is followed.</param>
/// <param name="Code">The reference parameter.</param>
/// <param name="TargetType">For <c>_include</c>, only references to this type (null: any).</param>
/// <param name="Iterate">Whether to apply it again to what it included (<c>:iterate</c>).</param>
public sealed record SearchInclude(string SourceType, string Code, string? TargetType, bool Iterate);

namespace Enclave.Functions.Invocation;

/// <summary>
/// What a function demands of its caller beyond a valid token, checked once by <see cref="InvocationPipeline"/>
/// before the function runs (403 with <see cref="Refusal"/> otherwise).
/// </summary>
/// <param name="role">The role the caller must hold.</param>
/// <param name="refusal">What a caller without it is told.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RequiresAttribute(CallerRole role, string refusal) : Attribute
{
    /// <summary>The role the caller must hold.</summary>
    public CallerRole Role { get; } = role;

    /// <summary>What a caller without <see cref="Role"/> is told.</summary>
    public string Refusal { get; } = refusal;
}

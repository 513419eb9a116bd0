namespace Enclave.Functions.Invocation;

/// <summary>
/// What a function demands of its caller beyond a valid token, checked once by <see cref="InvocationPipeline"/>
/// before the function runs (403 otherwise).
/// </summary>
/// <param name="role">The role the caller must hold.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RequiresAttribute(CallerRole role) : Attribute
{
    /// <summary>The role the caller must hold.</summary>
    public CallerRole Role { get; } = role;
}

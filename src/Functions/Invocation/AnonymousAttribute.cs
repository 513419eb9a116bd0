namespace Enclave.Functions.Invocation;

/// <summary>
/// Marks a function that answers without an access token (health, metadata, discovery, the JWKS, the token endpoint,
/// sign-in). Every other function is refused with 401 before it runs (<see cref="InvocationPipeline"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class AnonymousAttribute : Attribute;

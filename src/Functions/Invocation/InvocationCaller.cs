using Enclave.Functions.Auth;

namespace Enclave.Functions.Invocation;

/// <summary>
/// The caller of the current invocation, set once by <see cref="InvocationPipeline"/> after authentication (one per
/// invocation scope, in both hosts). Services built for the caller, such as the <c>FhirRepository</c>, read it.
/// </summary>
public sealed class InvocationCaller
{
    private Caller? _caller;

    /// <summary>The authenticated caller; throws when the invocation is anonymous, so nothing runs for nobody.</summary>
    public Caller Caller => _caller ?? throw new InvalidOperationException("The invocation is not authenticated.");

    /// <summary>Whether a caller was authenticated.</summary>
    public bool IsAuthenticated => _caller is not null;

    /// <summary>Binds the invocation to <paramref name="caller"/>; once only.</summary>
    public void Bind(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (_caller is not null && !ReferenceEquals(_caller, caller))
        {
            throw new InvalidOperationException("The invocation is already bound to a caller.");
        }

        _caller = caller;
    }
}

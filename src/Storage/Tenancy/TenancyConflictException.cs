namespace Enclave.Storage.Tenancy;

/// <summary>A tenancy resource with that id already exists.</summary>
public sealed class TenancyConflictException(string message) : Exception(message);

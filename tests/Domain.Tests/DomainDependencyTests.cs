using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests;

/// <summary>The domain stays pure: no Azure SDK, no ASP.NET, no storage adapter.</summary>
public sealed class DomainDependencyTests
{
    [Fact]
    public void Domain_references_no_azure_aspnet_or_storage_assembly()
    {
        var forbidden = new[] { "Azure.", "Microsoft.Azure.", "Microsoft.AspNetCore", "Enclave.Storage", "Enclave.Functions" };

        var offending = typeof(ServerCapabilities).Assembly.GetReferencedAssemblies()
            .Select(reference => reference.Name!)
            .Where(name => forbidden.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();

        Assert.Empty(offending);
        Assert.Contains(typeof(ServerCapabilities).Assembly.GetReferencedAssemblies(), r => r.Name!.StartsWith("Hl7.Fhir.", StringComparison.Ordinal));
    }
}

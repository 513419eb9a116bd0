using Enclave.Domain.Audit;

namespace Enclave.Domain.Tests.Audit;

public sealed class AuditQueryTests
{
    [Fact]
    public void Values_are_hashed_and_what_shapes_the_answer_is_kept()
    {
        var text = AuditQuery.Redact("Patient", [new("family", "Smith"), new("birthdate", "ge1970-01-01"), new("_count", "10"),
            new("_sort", "-_lastUpdated"), new("_include", "Patient:organization"), new("_page", "opaque"), new("name:exact", "Ann Lee")]);

        Assert.Equal($"Patient?family=sha256:{AuditQuery.Hash("Smith")}&birthdate=sha256:{AuditQuery.Hash("ge1970-01-01")}&_count=10"
            + $"&_sort=-_lastUpdated&_include=Patient%3Aorganization&_page&name%3Aexact=sha256:{AuditQuery.Hash("Ann Lee")}", text);
        Assert.DoesNotContain("Smith", text, StringComparison.Ordinal);
        Assert.DoesNotContain("1970", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hash_is_the_lower_case_hex_SHA_256_of_the_value()
    {
        Assert.Equal(64, AuditQuery.Hash("Smith").Length);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("Smith"u8)), AuditQuery.Hash("Smith"));
    }
}

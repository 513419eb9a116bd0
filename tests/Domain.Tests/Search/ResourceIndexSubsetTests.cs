using Enclave.Domain.Access;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Search;

/// <summary>The partial index of an access decision is the full index cut to the codes asked for (and, for _compartment, what places the resource in a patient's compartment).</summary>
public sealed class ResourceIndexSubsetTests
{
    [Theory]
    [InlineData("organization,active")]
    [InlineData("general-practitioner,_compartment")]
    [InlineData("_compartment")]
    [InlineData("link,_compartment,_tag,_security")]
    [InlineData("_id,_lastUpdated,name,no-such-code")]
    [InlineData("subject,code,date,_compartment,_profile")]
    public void A_partial_index_holds_exactly_the_full_index_entries_of_the_codes_and_the_same_compartments(string list)
    {
        var codes = list.Split(',');
        Resource[] resources =
        [
            new Patient
            {
                Id = "p1", Active = true, Name = [new HumanName { Family = "Ann" }],
                ManagingOrganization = new ResourceReference("Organization/o1"),
                GeneralPractitioner = [new ResourceReference("Practitioner/d1")],
                Link = [new Patient.LinkComponent { Other = new ResourceReference("Patient/p2"), Type = Patient.LinkType.Seealso }],
                Meta = new Meta { Tag = [new Coding("urn:t", "x")], Security = [new Coding("urn:s", "y")], Profile = ["urn:profile"],
                    Extension = [new Extension(Accounts.ExtensionUrl, new ResourceReference("Organization/o9"))] },
            },
            new Observation
            {
                Id = "o1", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "1-8"),
                Subject = new ResourceReference("Patient/p1"), Performer = [new ResourceReference("Practitioner/d1")], Effective = new FhirDateTime("2026-01-02"),
            },
        ];
        var wanted = codes.ToHashSet(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            var full = ResourceIndexer.Index(resource);
            var partial = ResourceIndexer.Index(resource, wanted);
            var placing = wanted.Contains("_compartment") && PatientCompartment.Parameters.TryGetValue(resource.TypeName, out var found) ? found : [];
            var expected = full.Entries.Keys.Where(c => wanted.Contains(c) || placing.Contains(c)).Order(StringComparer.Ordinal).ToList();

            Assert.Equal(expected, partial.Entries.Keys.Order(StringComparer.Ordinal).ToList());
            foreach (var code in expected)
            {
                Assert.Equal(full.Of(code), partial.Of(code));
            }

            if (wanted.Contains("_compartment"))
            {
                Assert.Equal(full.Compartments, partial.Compartments);
            }
        }
    }
}

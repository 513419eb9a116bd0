using Bogus;
using Hl7.Fhir.Model;

namespace Enclave.Storage.Tests.Search;

/// <summary>
/// A deterministic clinical data set (Bogus, fixed seed): organisations, practitioners, patients, and their
/// encounters, observations, conditions, risk assessments and medication requests, each with a distinct last-updated time.
/// </summary>
internal static class ClinicalDataSet
{
    private static readonly (string Code, string Display, string Unit)[] s_observations =
    [
        ("8867-4", "Heart rate", "/min"), ("8480-6", "Systolic blood pressure", "mm[Hg]"), ("2339-0", "Glucose", "mg/dL"),
        ("29463-7", "Body weight", "kg"), ("8310-5", "Body temperature", "Cel"),
    ];

    private static readonly (string Code, string Display)[] s_conditions =
        [("44054006", "Diabetes mellitus type 2"), ("38341003", "Hypertension"), ("195967001", "Asthma"), ("35489007", "Depressive disorder")];

    private static readonly (string Code, string Display)[] s_medications =
        [("860975", "Metformin 500 MG"), ("314076", "Lisinopril 10 MG"), ("745679", "Albuterol inhaler"), ("312938", "Sertraline 50 MG")];

    public static List<(Resource Resource, DateTimeOffset LastUpdated)> Generate(int patients, DateTimeOffset start)
    {
        var faker = new Faker("en") { Random = new Randomizer(20261123) };
        var resources = new List<Resource>();
        var organizations = Enumerable.Range(0, 5).Select(i => new Organization
        {
            Id = $"org{i}",
            Name = faker.Company.CompanyName(),
            Identifier = [new Identifier("urn:oid:2.16.840.1.113883.4.4", faker.Random.Replace("##-#######"))],
            Active = faker.Random.Bool(0.8f),
            Address = [new Address { City = faker.Address.City(), State = faker.Address.StateAbbr(), PostalCode = faker.Address.ZipCode("#####") }],
        }).ToList();
        resources.AddRange(organizations);
        var practitioners = Enumerable.Range(0, 15).Select(i => new Practitioner
        {
            Id = $"pr{i}",
            Name = [new HumanName { Family = faker.Name.LastName(), Given = [faker.Name.FirstName()], Prefix = ["Dr."] }],
            Identifier = [new Identifier("http://hl7.org/fhir/sid/us-npi", faker.Random.Replace("##########"))],
            Gender = faker.PickRandom(AdministrativeGender.Male, AdministrativeGender.Female),
            Active = true,
        }).ToList();
        resources.AddRange(practitioners);
        for (var p = 0; p < patients; p++)
        {
            var gender = faker.PickRandom(AdministrativeGender.Male, AdministrativeGender.Female, AdministrativeGender.Other);
            var patient = new Patient
            {
                Id = $"pt{p}",
                Name = [new HumanName { Family = faker.PickRandom(faker.Name.LastName(), "Müller", "Muller", "O'Brien", "Zoë"), Given = [faker.Name.FirstName(), faker.Name.FirstName()] }],
                Gender = gender,
                BirthDate = faker.Date.Between(new DateTime(1930, 1, 1), new DateTime(2020, 12, 31)).ToString(faker.Random.Bool(0.9f) ? "yyyy-MM-dd" : "yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
                Identifier = [new Identifier("urn:mrn", $"MRN-{p:0000}") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR") }],
                Active = faker.Random.Bool(0.9f) ? true : null,
                Telecom = faker.Random.Bool(0.7f) ? [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, faker.Phone.PhoneNumber("###-###-####"))] : [],
                Address = [new Address { Line = [faker.Address.StreetAddress()], City = faker.Address.City(), PostalCode = faker.Address.ZipCode("#####"), Country = "US" }],
                ManagingOrganization = new ResourceReference($"Organization/{faker.PickRandom(organizations).Id}"),
                GeneralPractitioner = faker.Random.Bool(0.8f)
                    ? [new ResourceReference($"Practitioner/{faker.PickRandom(practitioners).Id}")]
                    : [new ResourceReference { Identifier = new Identifier("http://hl7.org/fhir/sid/us-npi", faker.Random.Replace("##########")) }],
                Meta = faker.Random.Bool(0.3f)
                    ? new Meta { Tag = [new Coding("urn:cohort", faker.PickRandom("a", "b"))], Profile = [faker.PickRandom("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient", "http://example.org/fhir/StructureDefinition/research-patient")] }
                    : null,
            };
            resources.Add(patient);
            for (var e = 0; e < faker.Random.Int(0, 2); e++)
            {
                var begin = faker.Date.Between(new DateTime(2020, 1, 1), new DateTime(2025, 12, 31));
                var encounter = new Encounter
                {
                    Id = $"en{p}-{e}",
                    Status = faker.PickRandom(Encounter.EncounterStatus.Finished, Encounter.EncounterStatus.InProgress, Encounter.EncounterStatus.Planned),
                    Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", faker.PickRandom("AMB", "IMP", "EMER")),
                    Subject = new ResourceReference($"Patient/{patient.Id}"),
                    Participant = [new Encounter.ParticipantComponent { Individual = new ResourceReference($"Practitioner/{faker.PickRandom(practitioners).Id}") }],
                    ServiceProvider = new ResourceReference($"Organization/{faker.PickRandom(organizations).Id}"),
                    Period = new Period(new FhirDateTime(new DateTimeOffset(begin, TimeSpan.Zero)), faker.Random.Bool(0.8f) ? new FhirDateTime(new DateTimeOffset(begin.AddHours(faker.Random.Int(1, 72)), TimeSpan.Zero)) : null),
                    Length = new Duration { Value = faker.Random.Int(10, 600), Unit = "min", System = "http://unitsofmeasure.org", Code = "min" },
                };
                resources.Add(encounter);
            }

            for (var o = 0; o < faker.Random.Int(1, 4); o++)
            {
                var (code, display, unit) = faker.PickRandom(s_observations);
                resources.Add(new Observation
                {
                    Id = $"ob{p}-{o}",
                    Meta = new Meta { Profile = ["http://hl7.org/fhir/StructureDefinition/vitalsigns"] },
                    Status = faker.PickRandom(ObservationStatus.Final, ObservationStatus.Preliminary, ObservationStatus.Amended),
                    Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")],
                    Code = new CodeableConcept("http://loinc.org", code, display, display),
                    Subject = new ResourceReference($"Patient/{patient.Id}"),
                    Performer = faker.Random.Bool(0.6f) ? [new ResourceReference($"Practitioner/{faker.PickRandom(practitioners).Id}")] : [],
                    Effective = new FhirDateTime(new DateTimeOffset(faker.Date.Between(new DateTime(2023, 1, 1), new DateTime(2025, 6, 30)), TimeSpan.Zero)),
                    Value = new Quantity(Math.Round(faker.Random.Decimal(1, 200), faker.Random.Int(0, 2)), unit, "http://unitsofmeasure.org"),
                });
            }

            if (faker.Random.Bool(0.6f))
            {
                var (code, display) = faker.PickRandom(s_conditions);
                resources.Add(new Condition
                {
                    Id = $"co{p}",
                    ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", faker.PickRandom("active", "resolved")),
                    Code = new CodeableConcept("http://snomed.info/sct", code, display, display),
                    Subject = new ResourceReference($"Patient/{patient.Id}"),
                    Onset = new FhirDateTime(faker.Date.Between(new DateTime(2000, 1, 1), new DateTime(2024, 12, 31)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                    RecordedDate = faker.Date.Between(new DateTime(2020, 1, 1), new DateTime(2025, 1, 1)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                });
            }

            if (faker.Random.Bool(0.3f))
            {
                resources.Add(new RiskAssessment
                {
                    Id = $"ra{p}",
                    Status = ObservationStatus.Final,
                    Subject = new ResourceReference($"Patient/{patient.Id}"),
                    Prediction = [new RiskAssessment.PredictionComponent { Probability = new FhirDecimal(Math.Round(faker.Random.Decimal(0, 1), faker.Random.Int(1, 3))) }],
                });
            }

            if (faker.Random.Bool(0.5f))
            {
                var (code, display) = faker.PickRandom(s_medications);
                resources.Add(new MedicationRequest
                {
                    Id = $"mr{p}",
                    Status = faker.PickRandom(MedicationRequest.MedicationrequestStatus.Active, MedicationRequest.MedicationrequestStatus.Completed, MedicationRequest.MedicationrequestStatus.Stopped),
                    Intent = MedicationRequest.MedicationRequestIntent.Order,
                    Medication = new CodeableConcept("http://www.nlm.nih.gov/research/umls/rxnorm", code, display, display),
                    Subject = new ResourceReference($"Patient/{patient.Id}"),
                    Requester = new ResourceReference($"Practitioner/{faker.PickRandom(practitioners).Id}"),
                    AuthoredOn = new FhirDateTime(new DateTimeOffset(faker.Date.Between(new DateTime(2022, 1, 1), new DateTime(2025, 6, 30)), TimeSpan.Zero)).Value,
                });
            }
        }

        return [.. resources.Select((r, i) => (r, start.AddSeconds(i)))];
    }
}

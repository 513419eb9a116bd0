using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Builds the server's CapabilityStatement. It states only what Enclave implements today; each issue that adds an
/// interaction, a resource type or a search parameter extends it here, and the golden test pins the result.
/// </summary>
public static class ServerCapabilities
{
    /// <summary>The FHIR version Enclave serves.</summary>
    public const string FhirVersion = "4.0.1";

    /// <summary>The media type of FHIR JSON.</summary>
    public const string FhirJson = "application/fhir+json";

    /// <summary>The media type of FHIR XML.</summary>
    public const string FhirXml = "application/fhir+xml";

    private static readonly CapabilityStatement.TypeRestfulInteraction[] s_interactions =
    [
        CapabilityStatement.TypeRestfulInteraction.Read,
        CapabilityStatement.TypeRestfulInteraction.Vread,
        CapabilityStatement.TypeRestfulInteraction.Update,
        CapabilityStatement.TypeRestfulInteraction.Patch,
        CapabilityStatement.TypeRestfulInteraction.Delete,
        CapabilityStatement.TypeRestfulInteraction.Create,
        CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
        CapabilityStatement.TypeRestfulInteraction.HistoryType,
        CapabilityStatement.TypeRestfulInteraction.SearchType,
    ];

    private static CapabilityStatement.ResourceComponent ResourceCapabilities(string type) => new()
    {
        Type = type,
        Interaction = [.. s_interactions.Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i })],
        Versioning = CapabilityStatement.ResourceVersionPolicy.Versioned,
        ReadHistory = true,
        UpdateCreate = true,
        ConditionalCreate = true,
        ConditionalUpdate = true,
        ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.Single,
        ConditionalRead = CapabilityStatement.ConditionalReadStatus.FullSupport,
        ReferencePolicy = [CapabilityStatement.ReferenceHandlingPolicy.Literal, CapabilityStatement.ReferenceHandlingPolicy.Enforced,
            CapabilityStatement.ReferenceHandlingPolicy.Local],
        SearchParam = [.. SearchParser.TypeParameters(type)
            .OrderBy(p => p.Code, StringComparer.Ordinal)
            .Select(p => new CapabilityStatement.SearchParamComponent { Name = p.Code, Type = p.Type })],
        SearchInclude = [.. SearchParser.TypeParameters(type).Where(p => p.Type == SearchParamType.Reference).Select(p => $"{type}:{p.Code}").Order(StringComparer.Ordinal)],
        SearchRevInclude = [.. ModelInfo.SupportedResources.SelectMany(source => SearchParser.TypeParameters(source)
            .Where(p => p.Type == SearchParamType.Reference && (p.Targets.Count == 0 || p.Targets.Contains(type)))
            .Select(p => $"{source}:{p.Code}")).Order(StringComparer.Ordinal)],
        Operation = type switch
        {
            nameof(Patient) =>
            [
                new CapabilityStatement.OperationComponent { Name = "set-accounts", Definition = "https://enclave.dev/fhir/OperationDefinition/Patient-set-accounts" },
                new CapabilityStatement.OperationComponent { Name = "export", Definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export" },
            ],
            nameof(Group) => [new CapabilityStatement.OperationComponent { Name = "export", Definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export" }],
            _ => [],
        },
    };


    /// <summary>Creates the CapabilityStatement for a server reachable at <paramref name="fhirBaseUrl"/>.</summary>
    /// <param name="fhirBaseUrl">The FHIR base, e.g. <c>https://host/api/fhir/R4</c>.</param>
    /// <param name="softwareVersion">The running build's version.</param>
    /// <param name="releaseDate">When that build was released, as FHIR dateTime.</param>
    public static CapabilityStatement Create(Uri fhirBaseUrl, string softwareVersion, DateTimeOffset releaseDate)
    {
        ArgumentNullException.ThrowIfNull(fhirBaseUrl);
        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = releaseDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Publisher = "Enclave",
            Kind = CapabilityStatementKind.Instance,
            Instantiates = ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
            Software = new CapabilityStatement.SoftwareComponent
            {
                Name = "Enclave",
                Version = softwareVersion,
            },
            Implementation = new CapabilityStatement.ImplementationComponent
            {
                Description = "Enclave multi-tenant FHIR R4 server",
                Url = fhirBaseUrl.ToString().TrimEnd('/'),
            },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = [FhirJson, FhirXml],
            PatchFormat = ["application/json-patch+json", FhirJson, FhirXml],
            Rest =
            [
                new CapabilityStatement.RestComponent
                {
                    Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                    Documentation = "Only the capabilities listed here are implemented.",
                    Security = new CapabilityStatement.SecurityComponent
                    {
                        Description = "OAuth2 bearer tokens from /api/oauth2/token, each bound to one project membership.",
                    },
                    Resource = [.. ModelInfo.SupportedResources.Order(StringComparer.Ordinal).Select(ResourceCapabilities)],
                    Interaction =
                    [
                        new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction },
                        new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch },
                        new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.HistorySystem },
                        new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.SearchSystem },
                    ],
                    SearchParam = [.. SearchParser.CommonParameters.Select(p => new CapabilityStatement.SearchParamComponent { Name = p.Key, Type = p.Value })],
                    // Bulk Data export at the system level here, at the Patient and Group levels on those types.
                    Operation =
                    [
                        new CapabilityStatement.OperationComponent { Name = "export", Definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export" },
                    ],
                },
            ],
        };
    }
}

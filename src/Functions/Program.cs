using Enclave.Domain.Fhir;
using Enclave.Functions.Access;
using Enclave.Functions.Auth;
using Enclave.Functions.Edge;
using Enclave.Functions.Export;
using Enclave.Functions.Fhir;
using Enclave.Functions.Health;
using Enclave.Functions.Hosting;
using Enclave.Storage.Fhir;

var builder = WebApplication.CreateBuilder(args);
builder.ListenForFunctionsHost();
builder.Services.AddEnclaveEdge(builder.Configuration);
builder.Services.AddEnclaveStorage(builder.Configuration);
builder.Services.AddEnclaveSigningKeys(builder.Configuration);
builder.Services.AddEnclaveAuth(builder.Configuration);
builder.Services.AddEnclaveHealthChecks();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<PageToken>();
builder.Services.AddSingleton<IResourceStore>(sp => new CosmosResourceStore(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), sp.GetRequiredService<TimeProvider>()));

var app = builder.Build();
app.UseEnclaveEdge();
app.UseAuthentication();
app.UseAuthorization();
app.UseAddressRules();

// Every route needs an Enclave access token unless it says AllowAnonymous. The Functions host polls GET /
// until the handler answers; everything Enclave serves lives under /api.
app.MapGet("/", () => Results.Text("Enclave")).AllowAnonymous().ExcludeFromDescription();
app.MapEnclaveHealth();
app.MapJwks();
app.MapDiscoveryEndpoints();
app.MapTokenEndpoint();
app.MapAdminEndpoints();
app.MapInviteEndpoint();
app.MapLoginEndpoints();
app.MapTenancyResourceEndpoints();

// FHIR routes negotiate their answer format (406 before any work when nothing acceptable is asked for).
var fhir = app.MapGroup(string.Empty).AddEndpointFilter(FhirFormatFilter.InvokeAsync);
fhir.MapFhirMetadata();
fhir.MapFhirResourceEndpoints();
fhir.MapSearchEndpoints();
fhir.MapHistoryEndpoints();
fhir.MapBundleEndpoint();
fhir.MapExplainEndpoint();
fhir.MapSetAccountsEndpoint();
app.MapExportQueueTrigger();

app.Run();

/// <summary>The handler's entry point (public for the HTTP tests' <c>WebApplicationFactory</c>).</summary>
public partial class Program;

using Azure.Monitor.OpenTelemetry.Exporter;
using Enclave.Domain.Audit;
using Enclave.Domain.Backup;
using Enclave.Domain.Erasure;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Edge;
using Enclave.Functions.Export;
using Enclave.Functions.Fhir;
using Enclave.Functions.Health;
using Enclave.Functions.Invocation;
using Enclave.Functions.Metering;
using Enclave.Storage.Audit;
using Enclave.Storage.Backup;
using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Erasure;
using Enclave.Storage.Export;
using Enclave.Storage.Fhir;
using Enclave.Storage.Metering;
using Enclave.Storage.Tenancy;

namespace Enclave.Functions.Hosting;

/// <summary>The composition root both hosts share: every service the functions and their invocation step use.</summary>
public static class EnclaveServiceCollectionExtensions
{
    /// <summary>Registers Enclave's services from <paramref name="configuration"/>.</summary>
    public static IServiceCollection AddEnclave(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEnclaveEdge(configuration);
        services.AddEnclaveStorage(configuration);
        services.AddEnclaveSigningKeys(configuration);
        services.AddEnclaveAuth(configuration);
        HealthFunctions.AddEnclaveHealthChecks(services);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PageToken>();
        services.AddOptions<MeteringOptions>().Bind(configuration.GetSection(MeteringOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new UsageLedger(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), sp.GetRequiredService<TimeProvider>(),
            Guid.NewGuid().ToString("N")[..12], TimeSpan.FromDays(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeteringOptions>>().Value.RetentionDays)));
        services.AddSingleton<QuotaGate>();
        services.AddHostedService<UsageFlusher>();
        services.AddSingleton<IResourceStore>(sp => new CosmosResourceStore(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<UsageLedger>()));
        if (configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } insights)
        {
            // Enclave's metrics (store calls, request units, requests; each tagged with the project) go to Application Insights.
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(CosmosRequestMetrics.MeterName)
                .AddAzureMonitorMetricExporter(exporter => exporter.ConnectionString = insights));
        }

        services.AddOptions<QueueHostOptions>().Bind(configuration.GetSection(QueueHostOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ExportOptions>().Bind(configuration.GetSection(ExportOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IExportJobStore>(sp => new CosmosExportJobStore(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IExportFiles>(sp => new BlobExportFiles(sp.GetRequiredService<AzureStorageClients>().ExportContainer));
        services.AddSingleton<IExportScheduler>(sp => new QueueExportScheduler(sp.GetRequiredService<AzureStorageClients>().ExportQueue));
        services.AddSingleton(sp =>
        {
            var export = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ExportOptions>>().Value;
            return new ExportStep(sp.GetRequiredService<IExportJobStore>(), sp.GetRequiredService<IExportFiles>(), export.Limits, sp.GetRequiredService<TimeProvider>())
            { MemberChunkSize = export.MemberChunkSize };
        });

        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IAuditTrail>(sp => new CosmosAuditTrail(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AuditSealer>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditSealer>());
        services.AddSingleton<AuditRecorder>();
        services.AddSingleton(sp => new CosmosProjectDeletion(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IErasureJobs>(sp => new CosmosErasureJobs(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>()));
        services.AddSingleton(sp => new ErasureStep(sp.GetRequiredService<IErasureJobs>(), sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<IAuditTrail>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRestoreJobs>(sp => new CosmosRestoreJobs(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>()));
        services.AddSingleton(sp => new RestoreStep(sp.GetRequiredService<IRestoreJobs>(), sp.GetRequiredService<IExportJobStore>(), sp.GetRequiredService<IExportFiles>(),
            sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<Enclave.Domain.Tenancy.ITenancyStore>()));
        services.AddScoped(sp => new InteractionAudit(sp.GetRequiredService<TimeProvider>()));

        services.AddSingleton<InvocationPipeline>();
        services.AddScoped<InvocationCaller>();
        // Built for the invocation's caller, so no function reaches the store except through the caller's access; its commits carry the invocation's audit record.
        services.AddScoped(sp => new FhirRepository(
            sp.GetRequiredService<InvocationCaller>().Caller.Access, sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<InteractionAudit>()));
        return services;
    }
}

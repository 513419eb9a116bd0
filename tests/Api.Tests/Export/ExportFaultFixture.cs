using Azure.Core;
using Enclave.Domain.Export;
using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Export;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Enclave.Api.Tests.Export;

/// <summary>What the fault fixture's decorators inject, set by a test before it starts an export.</summary>
public sealed class ExportFaults
{
    private int _afterStage;
    private int _afterRecord;
    private int _afterCommit;
    private int _killed;
    private int _duplicated;

    /// <summary>Cosmos DB requests refused with 429 (off until <see cref="CosmosThrottler.EveryNth"/> is set).</summary>
    public CosmosThrottler Throttler { get; } = new();

    /// <summary>Whether every scheduled step message is sent twice.</summary>
    public bool Duplicate { get; set; }

    /// <summary>Kills (throws out of) the worker once, right after the <paramref name="nth"/> block staged from now, before its checkpoint.</summary>
    public void KillAfterStage(int nth) => _afterStage = nth;

    /// <summary>Kills the worker once, right after the <paramref name="nth"/> checkpoint recorded from now, before the next step is enqueued.</summary>
    public void KillAfterRecord(int nth) => _afterRecord = nth;

    /// <summary>Kills the worker once, right after the <paramref name="nth"/> file committed from now.</summary>
    public void KillAfterCommit(int nth) => _afterCommit = nth;

    /// <summary>Workers killed so far.</summary>
    public int Killed => Volatile.Read(ref _killed);

    /// <summary>Step messages sent a second time so far.</summary>
    public int Duplicated => Volatile.Read(ref _duplicated);

    /// <summary>Turns every fault off.</summary>
    public void Reset()
    {
        (_afterStage, _afterRecord, _afterCommit, _killed, _duplicated) = (0, 0, 0, 0, 0);
        Duplicate = false;
        Throttler.EveryNth = 0;
    }

    internal void After(ref int countdown)
    {
        if (countdown > 0 && Interlocked.Decrement(ref countdown) == 0)
        {
            Interlocked.Increment(ref _killed);
            throw new IOException("Injected by the test: the worker died here.");
        }
    }

    internal void Sent() => Interlocked.Increment(ref _duplicated);

    internal ref int AfterStage => ref _afterStage;

    internal ref int AfterRecord => ref _afterRecord;

    internal ref int AfterCommit => ref _afterCommit;
}

/// <summary>
/// An app whose export runs in small steps (5 resources or 1,500 bytes a block, files of 4,000 bytes) over the real
/// stores, with test-only decorators in DI that kill the worker at a chosen call, duplicate every step message, or
/// answer Cosmos DB requests with 429 (a request handler in the app's own client).
/// </summary>
public sealed class ExportFaultFixture : EnclaveApiFixture
{
    /// <summary>The faults the decorators inject.</summary>
    public ExportFaults Faults { get; } = new();

    protected override void Customize(Dictionary<string, string?> settings)
    {
        settings["Export:PageSize"] = "5";
        settings["Export:StepDuration"] = "00:00:00"; // one block per delivery: the most deliveries to duplicate and kill
        settings["Auth:MembershipCacheDuration"] = "00:00:00"; // every request reads its membership, so throttling reaches authentication too
        settings["Export:MaxBlockBytes"] = "1500";
        settings["Export:MaxFileBytes"] = "4000";
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200";
        settings["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "20";
        settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:00.500"; // a killed worker's message comes back soon
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton(sp => CosmosClientFactory.Create(sp.GetRequiredService<IOptions<CosmosOptions>>().Value, sp.GetRequiredService<TokenCredential>(),
            Faults.Throttler, sp.GetRequiredService<CosmosRequestMetrics>()));
        services.AddSingleton<IExportFiles>(sp => new FaultyFiles(new BlobExportFiles(sp.GetRequiredService<AzureStorageClients>().ExportContainer), Faults));
        services.AddSingleton<IExportJobStore>(sp => new FaultyJobs(new CosmosExportJobStore(sp.GetRequiredService<Container>(), sp.GetRequiredService<TimeProvider>()), Faults));
        services.AddSingleton<IExportScheduler>(sp => new DuplicatingScheduler(new QueueExportScheduler(sp.GetRequiredService<AzureStorageClients>().ExportQueue), Faults));
    }

    private sealed class FaultyFiles(IExportFiles inner, ExportFaults faults) : IExportFiles
    {
        public async Task StageAsync(string projectId, string jobId, string file, string blockId, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
        {
            await inner.StageAsync(projectId, jobId, file, blockId, lines, cancellationToken);
            faults.After(ref faults.AfterStage);
        }

        public async Task CommitAsync(string projectId, string jobId, string file, IReadOnlyList<string> blockIds, CancellationToken cancellationToken)
        {
            await inner.CommitAsync(projectId, jobId, file, blockIds, cancellationToken);
            faults.After(ref faults.AfterCommit);
        }

        public Task<string> Sha256Async(string projectId, string jobId, string file, CancellationToken cancellationToken) =>
            inner.Sha256Async(projectId, jobId, file, cancellationToken);

        public Task<Stream?> OpenReadAsync(string projectId, string jobId, string file, CancellationToken cancellationToken) =>
            inner.OpenReadAsync(projectId, jobId, file, cancellationToken);

        public Task DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken) => inner.DeleteAsync(projectId, jobId, cancellationToken);

        public Task DeleteProjectAsync(string projectId, CancellationToken cancellationToken) => inner.DeleteProjectAsync(projectId, cancellationToken);
    }

    private sealed class FaultyJobs(IExportJobStore inner, ExportFaults faults) : IExportJobStore
    {
        public Task CreateAsync(ExportJob job, CancellationToken cancellationToken) => inner.CreateAsync(job, cancellationToken);

        public Task<(ExportJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken) =>
            inner.ReadAsync(projectId, jobId, cancellationToken);

        public async Task<string?> ReplaceAsync(ExportJob job, string version, CancellationToken cancellationToken)
        {
            var recorded = await inner.ReplaceAsync(job, version, cancellationToken);
            if (recorded is not null)
            {
                faults.After(ref faults.AfterRecord);
            }

            return recorded;
        }

        public Task<bool> DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken) => inner.DeleteAsync(projectId, jobId, cancellationToken);

        public Task<IReadOnlyList<ExportJob>> RunningAsync(string projectId, CancellationToken cancellationToken) => inner.RunningAsync(projectId, cancellationToken);
    }

    private sealed class DuplicatingScheduler(IExportScheduler inner, ExportFaults faults) : IExportScheduler
    {
        public async Task ScheduleAsync(ExportJobMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            await inner.ScheduleAsync(message, delay, cancellationToken);
            if (faults.Duplicate)
            {
                await inner.ScheduleAsync(message, delay, cancellationToken);
                faults.Sent();
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Text;
using Enclave.Domain.Access;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Storage.Memory;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Time.Testing;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Domain.Tests.Export;

/// <summary>
/// The export step's promises, over the memory resource store and in-memory stand-ins of the job store (with its
/// ETag rule) and of block blobs (stage, then commit a list): duplicated and stale deliveries, a crash between
/// recording a step and committing its block, and the snapshot bound.
/// </summary>
public sealed class ExportStepTests
{
    private const string Project = "p1";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private async Task<(MemoryResourceStore Store, FhirRepository Repository)> SeedAsync(int patients)
    {
        var store = new MemoryResourceStore(_time);
        var repository = new FhirRepository(AccessContext.AdminOf(Project), store, _time);
        for (var i = 0; i < patients; i++)
        {
            Assert.Equal(201, (await repository.CreateAsync(new Patient { Name = [new HumanName { Family = $"P{i}" }] }, null, default)).Status);
        }

        return (store, repository);
    }

    private ExportJob Job() => new()
    {
        Id = "0123456789abcdef0123456789abcdef",
        ProjectId = Project,
        MembershipId = "m1",
        KickoffKey = "k",
        RequestUrl = "http://x/api/fhir/R4/$export",
        Request = new ExportRequest(["Patient"], null, []),
        TransactionTime = _time.GetUtcNow(),
        ExpiresAt = _time.GetUtcNow().AddDays(1),
        Types = [new ExportTypeProgress("Patient", null, false, 0, [])],
    };

    private static async Task<int> RunToEndAsync(ExportStep step, Jobs jobs, FhirRepository repository)
    {
        for (var steps = 1; steps < 100; steps++)
        {
            var (job, version) = (await jobs.ReadAsync(Project, "0123456789abcdef0123456789abcdef", default))!.Value;
            if (await step.RunAsync(job, version, repository, default) == ExportStep.Outcome.Done)
            {
                return steps;
            }
        }

        throw new InvalidOperationException("The export never finished.");
    }

    private static List<string> Ids(Files files, string file = "Patient.ndjson") =>
        [.. files.Read(file).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!)];

    [Fact]
    public async Task Pages_become_blocks_and_the_file_holds_each_resource_once()
    {
        var (_, repository) = await SeedAsync(10);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);

        var steps = await RunToEndAsync(new ExportStep(jobs, files, new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 3 }, _time), jobs, repository);

        var job = (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job;
        Assert.Equal(ExportStatus.Completed, job.Status);
        Assert.Equal(10, job.Types[0].Count);
        Assert.Equal(4, files.Blocks("Patient.ndjson")); // 3 + 3 + 3 + 1
        Assert.All(job.Types[0].Files, f => Assert.True(f.Committed && f.BlockIds.Count == 0)); // committed, so the job no longer keeps its blocks
        Assert.Equal(10, Ids(files).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(10, Ids(files).Count);
        Assert.Equal(4, steps);
    }

    [Fact]
    public async Task One_delivery_within_its_step_duration_writes_every_block_and_records_them_together()
    {
        var (_, repository) = await SeedAsync(10);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);

        var steps = await RunToEndAsync(new ExportStep(jobs, files, new ExportLimits { PageSize = 3 }, _time), jobs, repository); // the clock stands still

        var job = (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job;
        Assert.Equal((ExportStatus.Completed, 10L, 4, 1), (job.Status, job.Types[0].Count, files.Blocks("Patient.ndjson"), steps));
        Assert.Equal(10, Ids(files).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(10, Ids(files).Count);
    }

    [Theory]
    [InlineData(10, 0)] // one delivery stages every block of each file: hashed as staged, nothing read back
    [InlineData(0, 3)] // one block per delivery: each file is read back once for its hash
    public async Task Each_file_records_the_SHA256_of_its_committed_bytes(int stepSeconds, int readBack)
    {
        var (_, repository) = await SeedAsync(10);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var line = (await jobs.ReadAsync(Project, Job().Id, default)) is { } stored
            ? (await new ExportScope(stored.Job, repository, 1, 100).NextAsync(stored.Job.Types[0], 1, default)).Lines[0].Length + 1 : 0;

        // Three files of 4, 4 and 2 one-resource blocks: a file rolls over before a fifth block.
        var limits = new ExportLimits { StepDuration = TimeSpan.FromSeconds(stepSeconds), PageSize = 1, MaxFileBytes = 4L * line };
        await RunToEndAsync(new ExportStep(jobs, files, limits, _time), jobs, repository);

        var job = (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job;
        Assert.Equal(ExportStatus.Completed, job.Status);
        Assert.Equal(3, job.Types[0].Files.Count);
        Assert.All(job.Types[0].Files, f => Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(files.Read(f.Name)))), f.Sha256));
        Assert.Equal(readBack, files.ReadBack);
    }

    [Fact]
    public async Task The_next_page_is_read_while_a_block_is_staged_one_read_at_a_time()
    {
        var (_, repository) = await SeedAsync(10);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var (job, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
        var pages = new Observed(new ExportScope(job, repository, 3, 100));
        files.Reading = () => pages.Reading;

        var outcome = await new ExportStep(jobs, files, new ExportLimits { PageSize = 3 }, _time).RunAsync(job, version, pages, default);

        Assert.Equal(ExportStep.Outcome.Done, outcome);
        Assert.Equal(4, pages.Reads); // each page once: none read twice, none dropped
        Assert.Equal(3, files.StagedWhileReading); // every page after the first was read while the block before it was staged
        Assert.Equal(1, pages.MostAtOnce);
        Assert.Equal(10, Ids(files).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(10, Ids(files).Count);
    }

    /// <summary>Pages as <paramref name="inner"/> reads them, each taking a while, counting reads and reads at once.</summary>
    private sealed class Observed(IExportPages inner) : IExportPages
    {
        private int _reading;

        public int Reads { get; private set; }

        public int MostAtOnce { get; private set; }

        public bool Reading => Volatile.Read(ref _reading) > 0;

        public async Task<ExportPage> NextAsync(ExportTypeProgress current, int count, CancellationToken cancellationToken)
        {
            var reading = Interlocked.Increment(ref _reading);
            (Reads, MostAtOnce) = (Reads + 1, Math.Max(MostAtOnce, reading));
            try
            {
                await Task.Delay(20, cancellationToken);
                return await inner.NextAsync(current, count, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _reading);
            }
        }
    }

    /// <summary>A type's last block, not yet recorded, then an empty page that ends the type, while a rival delivery records first.</summary>
    private sealed class EndsEmpty(Func<Task> rival) : IExportPages
    {
        public async Task<ExportPage> NextAsync(ExportTypeProgress current, int count, CancellationToken cancellationToken)
        {
            if (current.Continuation is null)
            {
                return new ExportPage([Encoding.UTF8.GetBytes("""{"resourceType":"Patient","id":"a"}""")], current with { Continuation = "c1" });
            }

            await rival();
            return new ExportPage([], current with { Continuation = null, Done = true });
        }
    }

    [Fact]
    public async Task A_delivery_that_loses_the_race_after_an_unrecorded_block_commits_no_file()
    {
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var (job, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
        var rival = new EndsEmpty(async () => Assert.NotNull(await jobs.ReplaceAsync((await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job,
            (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Version, default)));

        var outcome = await new ExportStep(jobs, files, new ExportLimits { PageSize = 1 }, _time).RunAsync(job, version, rival, default); // the clock stands still: the block waits for the next record

        Assert.Equal(ExportStep.Outcome.Done, outcome);
        Assert.Equal(0, files.Blocks("Patient.ndjson")); // the rival's record won; this delivery's list was never the job's, so it was not committed
        Assert.Equal(ExportStatus.Running, (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job.Status);
    }

    [Fact]
    public async Task A_duplicate_delivery_of_a_step_loses_the_race_and_leaves_the_file_as_one_delivery_would()
    {
        var (_, repository) = await SeedAsync(7);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var step = new ExportStep(jobs, files, new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 3 }, _time);

        // Two deliveries read the same version; the first one runs, then the stale one, at once and again after the end.
        var (job, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
        Assert.Equal(ExportStep.Outcome.More, await step.RunAsync(job, version, repository, default));
        Assert.Equal(ExportStep.Outcome.Done, await step.RunAsync(job, version, repository, default));
        await RunToEndAsync(step, jobs, repository);
        Assert.Equal(ExportStep.Outcome.Done, await step.RunAsync(job, version, repository, default));

        Assert.Equal(7, Ids(files).Count);
        Assert.Equal(7, Ids(files).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task A_crash_before_the_files_are_committed_is_repaired_by_the_next_delivery()
    {
        var (_, repository) = await SeedAsync(5);
        var jobs = new Jobs();
        var files = new Files { FailNextCommit = true };
        await jobs.CreateAsync(Job(), default);
        var step = new ExportStep(jobs, files, new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 3 }, _time);

        var (job, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
        Assert.Equal(ExportStep.Outcome.More, await step.RunAsync(job, version, repository, default));
        Assert.Empty(files.Read("Patient.ndjson")); // nothing is committed before the end
        (job, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
        await Assert.ThrowsAsync<IOException>(() => step.RunAsync(job, version, repository, default)); // the last step dies committing
        Assert.Equal(ExportStatus.Running, (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job.Status);
        await RunToEndAsync(step, jobs, repository);

        Assert.Equal(5, Ids(files).Count);
        Assert.Equal(5, Ids(files).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task A_resource_written_after_the_snapshot_instant_is_not_exported()
    {
        var (_, repository) = await SeedAsync(2);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        _time.Advance(TimeSpan.FromSeconds(1));
        var late = (await repository.CreateAsync(new Patient { Name = [new HumanName { Family = "Late" }] }, null, default)).Resource!.Id;

        await RunToEndAsync(new ExportStep(jobs, files, new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 10 }, _time), jobs, repository);

        Assert.Equal(2, Ids(files).Count);
        Assert.DoesNotContain(late, Ids(files));
    }

    [Fact]
    public async Task A_cancel_during_a_step_leaves_no_file_behind()
    {
        var (_, repository) = await SeedAsync(4);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var (job, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
        await jobs.DeleteAsync(Project, job.Id, default); // the cancel lands while the step runs

        Assert.Equal(ExportStep.Outcome.Done, await new ExportStep(jobs, files, new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 3 }, _time).RunAsync(job, version, repository, default));
        Assert.Empty(files.Names);
    }

    [Fact]
    public async Task A_page_past_the_block_bound_is_cut_and_the_next_step_resumes_right_after_it()
    {
        var (_, repository) = await SeedAsync(9);
        Assert.Equal(201, (await repository.CreateAsync(new Patient { Name = [new HumanName { Family = new string('x', 900) }] }, null, default)).Status);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var line = (await repository.SearchAsync(Hl7Search("Patient"), null, default)).Page!.Matches.Min(m => Encoding.UTF8.GetByteCount(m.Json)) + 1;

        await RunToEndAsync(new ExportStep(jobs, files, new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 5, MaxBlockBytes = 2 * line + 10 }, _time), jobs, repository);

        var sizes = files.BlockSizes("Patient.ndjson").ToList();
        Assert.All(sizes, size => Assert.True(size <= 2 * line + 10 || size > 900, $"A block of {size} bytes passed the bound."));
        Assert.Contains(sizes, size => size > 900); // the large resource is a block of its own
        Assert.True(sizes.Count >= 6, $"{sizes.Count} blocks"); // 9 small ones two by two, and the large one
        Assert.Equal(10, Ids(files).Count);
        Assert.Equal(10, Ids(files).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task Files_roll_over_at_the_size_bound_each_committed_with_its_own_list_once_final()
    {
        var (_, repository) = await SeedAsync(12);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var limits = new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 2, MaxBlockBytes = 4096, MaxFileBytes = 700 };
        var step = new ExportStep(jobs, files, limits, _time);

        // A rolled-over file is committed while the job still runs, and the job forgets its blocks.
        for (var i = 0; i < 4; i++)
        {
            var (running, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
            Assert.Equal(ExportStep.Outcome.More, await step.RunAsync(running, version, repository, default));
        }

        var midway = (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job.Types[0].Files;
        Assert.True(midway.Count >= 2);
        Assert.True(midway[0] is { Committed: true, BlockIds.Count: 0 });
        Assert.NotEmpty(Ids(files, "Patient.ndjson"));

        await RunToEndAsync(step, jobs, repository);

        var job = (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job;
        var written = job.Types[0].Files;
        Assert.Equal(ExportStatus.Completed, job.Status);
        Assert.Equal([.. written.Select((_, i) => ExportTypeProgress.FileName("Patient", i + 1))], written.Select(f => f.Name));
        Assert.Equal("Patient-2.ndjson", written[1].Name);
        Assert.All(written, f =>
        {
            Assert.True(f.Bytes <= 700, $"{f.Name} has {f.Bytes} bytes");
            Assert.Equal(f.Bytes, Encoding.UTF8.GetByteCount(files.Read(f.Name)));
            Assert.Equal(f.Count, Ids(files, f.Name).Count);
        });
        var ids = written.SelectMany(f => Ids(files, f.Name)).ToList();
        Assert.Equal(12, ids.Count);
        Assert.Equal(12, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(12, job.Types[0].Count);
    }

    [Fact]
    public async Task A_throttled_step_waits_at_least_the_servers_retry_after_and_fails_the_job_only_past_the_budget()
    {
        var (_, repository) = await SeedAsync(4);
        var jobs = new Jobs();
        var files = new Files();
        await jobs.CreateAsync(Job(), default);
        var step = new ExportStep(jobs, files, new ExportLimits { StepDuration = TimeSpan.Zero, PageSize = 2, MaxThrottledRetries = 2 }, _time);
        var busy = new StoreThrottledException("query resources", null, unavailable: false);

        Assert.Equal(TimeSpan.FromSeconds(1), await step.ThrottledAsync(Project, Job().Id, busy, default));
        Assert.Equal(TimeSpan.FromSeconds(7), await step.ThrottledAsync(Project, Job().Id, new StoreThrottledException("read", TimeSpan.FromMilliseconds(6100), false), default));
        var (job, version) = (await jobs.ReadAsync(Project, Job().Id, default))!.Value;
        Assert.Equal(2, job.Throttled);
        Assert.Equal(ExportStep.Outcome.More, await step.RunAsync(job, version, repository, default)); // progress clears the count
        Assert.Equal(0, (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job.Throttled);

        Assert.Equal(TimeSpan.FromSeconds(1), await step.ThrottledAsync(Project, Job().Id, busy, default));
        Assert.Equal(TimeSpan.FromSeconds(2), await step.ThrottledAsync(Project, Job().Id, busy, default)); // backing off
        Assert.Null(await step.ThrottledAsync(Project, Job().Id, busy, default)); // the budget is spent
        job = (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job;
        Assert.Equal(ExportStatus.Failed, job.Status);
        Assert.Contains("busy", job.Failure, StringComparison.Ordinal);
        Assert.Null(await step.ThrottledAsync(Project, Job().Id, busy, default)); // a failed job is not retried
    }

    [Fact]
    public async Task A_stalled_job_is_redriven_once_per_lease_and_failed_once_redrives_are_spent()
    {
        var jobs = new Jobs();
        await jobs.CreateAsync(Job(), default);
        var step = new ExportStep(jobs, new Files(), new ExportLimits { StepDuration = TimeSpan.Zero, Lease = TimeSpan.FromMinutes(10), MaxRedrives = 2 }, _time);

        Assert.False(await step.RedriveAsync(Project, Job().Id, default)); // within the lease of the kick-off
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.True(await step.RedriveAsync(Project, Job().Id, default));
        Assert.False(await step.RedriveAsync(Project, Job().Id, default)); // a second poll at once: one re-drive is enough
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.True(await step.RedriveAsync(Project, Job().Id, default));
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.False(await step.RedriveAsync(Project, Job().Id, default));

        var job = (await jobs.ReadAsync(Project, Job().Id, default))!.Value.Job;
        Assert.Equal(ExportStatus.Failed, job.Status);
        Assert.Equal(2, job.Redrives);
        Assert.Contains("stopped making progress", job.Failure, StringComparison.Ordinal);
    }

    private static Domain.Search.SearchRequest Hl7Search(string type) => Domain.Search.SearchParser.Parse(type, [new("_count", "100")], strict: true).Request!;

    /// <summary>Jobs with the Cosmos store's rule: a replace succeeds only at the current version.</summary>
    private sealed class Jobs : IExportJobStore
    {
        private readonly ConcurrentDictionary<string, (ExportJob Job, string Version)> _jobs = new();
        private int _versions;

        public Task CreateAsync(ExportJob job, CancellationToken cancellationToken)
        {
            _jobs[job.Id] = (job, Next());
            return Task.CompletedTask;
        }

        public Task<(ExportJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken) =>
            Task.FromResult(_jobs.TryGetValue(jobId, out var stored) ? stored : ((ExportJob, string)?)null);

        public Task<string?> ReplaceAsync(ExportJob job, string version, CancellationToken cancellationToken)
        {
            lock (_jobs)
            {
                if (!_jobs.TryGetValue(job.Id, out var stored) || stored.Version != version)
                {
                    return Task.FromResult<string?>(null);
                }

                var next = Next();
                _jobs[job.Id] = (job, next);
                return Task.FromResult<string?>(next);
            }
        }

        public Task<bool> DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken) => Task.FromResult(_jobs.TryRemove(jobId, out _));

        public Task<IReadOnlyList<ExportJob>> RunningAsync(string projectId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ExportJob>>([.. _jobs.Values.Select(v => v.Job).Where(j => j.Status == ExportStatus.Running)]);

        private string Next() => $"\"v{Interlocked.Increment(ref _versions)}\"";
    }

    /// <summary>Block blobs: staged blocks are not in a file until a commit lists them, and a commit drops every block it does not list.</summary>
    private sealed class Files : IExportFiles
    {
        private readonly ConcurrentDictionary<string, byte[]> _staged = new();
        private readonly ConcurrentDictionary<string, List<string>> _committed = new();

        public bool FailNextCommit { get; set; }

        public IEnumerable<string> Names => _committed.Keys.Concat(_staged.Keys);

        public int Blocks(string file) => _committed.TryGetValue(file, out var blocks) ? blocks.Count : 0;

        public IEnumerable<int> BlockSizes(string file) => _committed.TryGetValue(file, out var blocks) ? blocks.Select(b => _staged[$"{file}|{b}"].Length) : [];

        public string Read(string file) =>
            _committed.TryGetValue(file, out var blocks) ? string.Concat(blocks.Select(b => Encoding.UTF8.GetString(_staged[$"{file}|{b}"]))) : string.Empty;

        /// <summary>Whether a page is being read (set by a test that counts <see cref="StagedWhileReading"/>).</summary>
        public Func<bool>? Reading { get; set; }

        /// <summary>Blocks whose staging began while a page was being read.</summary>
        public int StagedWhileReading { get; private set; }

        public Task StageAsync(string projectId, string jobId, string file, string blockId, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
        {
            StagedWhileReading += Reading?.Invoke() == true ? 1 : 0;
            _staged[$"{file}|{blockId}"] = lines.ToArray();
            return Task.CompletedTask;
        }

        public Task CommitAsync(string projectId, string jobId, string file, IReadOnlyList<string> blockIds, CancellationToken cancellationToken)
        {
            if (FailNextCommit)
            {
                FailNextCommit = false;
                throw new IOException("The worker died before the commit.");
            }

            Assert.All(blockIds, b => Assert.True(_staged.ContainsKey($"{file}|{b}"), $"Block {b} was never staged, or a commit dropped it."));
            foreach (var dropped in _staged.Keys.Where(k => k.StartsWith(file + "|", StringComparison.Ordinal) && !blockIds.Contains(k[(file.Length + 1)..])))
            {
                _staged.TryRemove(dropped, out _);
            }

            _committed[file] = [.. blockIds];
            return Task.CompletedTask;
        }

        /// <summary>Files read back for their hash.</summary>
        public int ReadBack { get; private set; }

        public Task<string> Sha256Async(string projectId, string jobId, string file, CancellationToken cancellationToken)
        {
            ReadBack++;
            return Task.FromResult(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Read(file)))));
        }

        public Task<Stream?> OpenReadAsync(string projectId, string jobId, string file, CancellationToken cancellationToken) =>
            Task.FromResult<Stream?>(new MemoryStream(Encoding.UTF8.GetBytes(Read(file))));

        public Task DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken)
        {
            _staged.Clear();
            _committed.Clear();
            return Task.CompletedTask;
        }

        public Task DeleteProjectAsync(string projectId, CancellationToken cancellationToken) => DeleteAsync(projectId, string.Empty, cancellationToken);
    }
}

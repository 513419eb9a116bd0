using System.Net;
using Azure.Identity;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Export;
using Enclave.Storage.Fhir;
using Enclave.Storage.Tenancy;
using Enclave.Testing;

namespace Enclave.Storage.Tests.Cosmos;

/// <summary>
/// Cosmos DB throttling (429) and unavailability (503) that outlast the SDK's retries reach the adapters' callers as one
/// typed <see cref="StoreThrottledException"/> (with the server's retry-after where the SDK keeps it), on point reads, queries and writes alike,
/// and never as a fault (which would be a 500).
/// </summary>
public sealed class ThrottlingTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    public async Task A_refused_request_is_a_StoreThrottledException_with_the_servers_retry_after(HttpStatusCode status, bool unavailable)
    {
        var throttler = new CosmosThrottler { Status = status, RetryAfter = TimeSpan.FromMilliseconds(1500) };
        using var client = CosmosClientFactory.Create(cosmos.Options, new DefaultAzureCredential(), throttler);
        var container = client.GetContainer(cosmos.Options.DatabaseName, cosmos.Options.ContainerName);
        var project = Guid.NewGuid().ToString("N");
        var jobs = new CosmosExportJobStore(container, TimeProvider.System);
        var resources = new CosmosResourceStore(container, TimeProvider.System).For(ProjectScope.Of(project));
        var tenancy = new CosmosTenancyStore(container);
        var (search, _) = SearchParser.Parse("Patient", [], strict: true);
        Assert.Null(await jobs.ReadAsync(project, "0123456789abcdef0123456789abcdef", default)); // it works unrefused

        throttler.EveryNth = 1;
        var refusals = new[]
        {
            await Assert.ThrowsAsync<StoreThrottledException>(() => jobs.ReadAsync(project, "0123456789abcdef0123456789abcdef", default)),
            await Assert.ThrowsAsync<StoreThrottledException>(() => resources.SearchAsync(search!, null, default)),
            await Assert.ThrowsAsync<StoreThrottledException>(() => resources.CountAsync(search!, default)),
            await Assert.ThrowsAsync<StoreThrottledException>(() => tenancy.GetProjectAsync(project, default)),
            await Assert.ThrowsAsync<StoreThrottledException>(() => jobs.RunningAsync(project, default)),
        };

        Assert.All(refusals, e => Assert.Equal(unavailable, e.Unavailable));
        // A point operation's answer carries the server's retry-after; the SDK's query pipeline drops that header, so a
        // query's refusal has none and its callers fall back to their own wait.
        Assert.Equal(TimeSpan.FromMilliseconds(1500), refusals[0].RetryAfter);
        Assert.True(throttler.Refused >= refusals.Length);
    }
}

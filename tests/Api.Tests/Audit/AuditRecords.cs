using System.Text.Json;
using Microsoft.Azure.Cosmos;

namespace Enclave.Api.Tests.Audit;

/// <summary>Test helper: a project's audit documents, read straight from Cosmos DB (not through the API under test).</summary>
internal static class AuditRecords
{
    /// <summary>One audit document: the AuditEvent, its time to live and its chain fields (once sealed).</summary>
    public sealed record Document(string Id, JsonElement Resource, int? TimeToLive, JsonElement? Chain)
    {
        public string Trace => Resource.GetProperty("extension").EnumerateArray().Single(e => e.GetProperty("url").GetString() == "urn:enclave:trace-id")
            .GetProperty("valueString").GetString()!;

        public string Function => Resource.GetProperty("subtype")[1].GetProperty("code").GetString()!;

        public string Interaction => Resource.GetProperty("subtype")[0].GetProperty("code").GetString()!;

        public string Outcome => Resource.GetProperty("outcome").GetString()!;

        public string OutcomeDesc => Resource.GetProperty("outcomeDesc").GetString()!;

        public string? Membership => Resource.GetProperty("agent")[0].TryGetProperty("altId", out var altId) ? altId.GetString() : null;

        public IReadOnlyList<string> Policies => Resource.GetProperty("agent")[0].TryGetProperty("policy", out var policy)
            ? [.. policy.EnumerateArray().Select(p => p.GetString()!)] : [];

        public IReadOnlyList<string> Entities => Resource.TryGetProperty("entity", out var entities)
            ? [.. entities.EnumerateArray().Where(e => e.TryGetProperty("what", out var w) && w.TryGetProperty("reference", out _))
                .Select(e => e.GetProperty("what").GetProperty("reference").GetString()!)]
            : [];

        public string? Query => Resource.TryGetProperty("entity", out var entities)
            ? entities.EnumerateArray().Where(e => e.TryGetProperty("query", out _)).Select(e => System.Text.Encoding.UTF8.GetString(e.GetProperty("query").GetBytesFromBase64())).SingleOrDefault()
            : null;
    }

    /// <summary>Every audit document of <paramref name="projectId"/>.</summary>
    public static async Task<List<Document>> AllAsync(Container container, string projectId)
    {
        var query = new QueryDefinition("SELECT c.id, c.resource, c.ttl, c.chain FROM c WHERE c.projectId = @p AND c.kind = 'audit'").WithParameter("@p", projectId);
        var found = new List<Document>();
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(projectId) });
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync();
            using var page = await JsonDocument.ParseAsync(response.Content);
            foreach (var document in page.RootElement.GetProperty("Documents").EnumerateArray())
            {
                found.Add(new Document(document.GetProperty("id").GetString()!, document.GetProperty("resource").Clone(),
                    document.TryGetProperty("ttl", out var ttl) ? ttl.GetInt32() : null,
                    document.TryGetProperty("chain", out var chain) ? chain.Clone() : null));
            }
        }

        return found;
    }

    /// <summary>The audit documents of the request that was answered with correlation id <paramref name="trace"/>.</summary>
    public static async Task<List<Document>> OfAsync(Container container, string projectId, string trace) =>
        [.. (await AllAsync(container, projectId)).Where(d => d.Trace == trace)];

    /// <summary>The parameter <paramref name="name"/> of a Parameters answer (<c>$verify</c>, <c>$expunge</c>).</summary>
    public static JsonElement Parameter(JsonElement parameters, string name) =>
        parameters.GetProperty("parameter").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);

    /// <summary>The correlation id of an answer.</summary>
    public static string Trace(HttpResponseMessage response) => response.Headers.GetValues("X-Correlation-Id").Single();
}

using System.Net;
using System.Text;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Microsoft.Azure.Cosmos.Serialization.HybridRow;
using Microsoft.Azure.Cosmos.Serialization.HybridRow.Layouts;
using Microsoft.Azure.Cosmos.Serialization.HybridRow.RecordIO;
using Microsoft.Azure.Cosmos.Serialization.HybridRow.Schemas;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>
/// The emulator's batch wire format checked against the HybridRow library shipped in the SDK package, with the
/// SDK's own batch schemas: requests written by the library are understood, answers are read back by it.
/// </summary>
public sealed class HybridRowGoldenTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private static readonly LayoutResolverNamespace s_resolver = new(Namespace.Parse(SdkBatchSchemas()), SystemSchema.LayoutResolver);

    private sealed record Operation(int Type, string? Id = null, string? Body = null, string? IfMatch = null);

    private sealed record OperationResult(int StatusCode, string? ETag, string? Body, double? RequestCharge);

    /// <summary>The schema the SDK itself uses, from its assembly's resources.</summary>
    private static string SdkBatchSchemas()
    {
        var assembly = typeof(CosmosClient).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("HybridRowBatchSchemas.json", StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        return reader.ReadToEnd();
    }

    private static Layout LayoutOf(string schema) =>
        s_resolver.Resolve(s_resolver.Namespace.Schemas.Single(s => s.Name == schema).SchemaId);

    private static byte[] WriteOperation(Operation op)
    {
        var layout = LayoutOf("BatchOperation");
        var row = new RowBuffer(4096);
        row.InitLayout(HybridRowVersion.V1, layout, s_resolver);
        var root = RowCursor.Create(ref row);
        Check(layout.TryFind("operationType", out var type) && LayoutType.Int32.WriteFixed(ref row, ref root, type, op.Type) == Result.Success);
        Check(layout.TryFind("resourceType", out var resource) && LayoutType.Int32.WriteFixed(ref row, ref root, resource, 2) == Result.Success);
        if (op.Id is not null)
        {
            Check(layout.TryFind("id", out var id) && LayoutType.Utf8.WriteVariable(ref row, ref root, id, op.Id) == Result.Success);
        }

        if (op.Body is not null)
        {
            Check(layout.TryFind("resourceBody", out var body) && LayoutType.Binary.WriteVariable(ref row, ref root, body, Encoding.UTF8.GetBytes(op.Body)) == Result.Success);
        }

        if (op.IfMatch is not null)
        {
            root.Find(ref row, "ifMatch");
            Check(LayoutType.Utf8.WriteSparse(ref row, ref root, op.IfMatch, UpdateOptions.Upsert) == Result.Success);
        }

        return row.ToArray();
    }

    private static OperationResult ReadResult(ReadOnlySpan<byte> bytes)
    {
        var row = new RowBuffer(bytes.Length);
        Check(row.ReadFrom(bytes, HybridRowVersion.V1, s_resolver));
        var layout = LayoutOf("BatchResult");
        Check(row.Header.SchemaId == layout.SchemaId);
        var root = RowCursor.Create(ref row);
        layout.TryFind("statusCode", out var statusColumn);
        LayoutType.Int32.ReadFixed(ref row, ref root, statusColumn, out var status);
        layout.TryFind("eTag", out var etagColumn);
        var etag = LayoutType.Utf8.ReadVariable(ref row, ref root, etagColumn, out string found) == Result.Success ? found : null;
        layout.TryFind("resourceBody", out var bodyColumn);
        var body = LayoutType.Binary.ReadVariable(ref row, ref root, bodyColumn, out byte[] bodyBytes) == Result.Success ? Encoding.UTF8.GetString(bodyBytes) : null;
        root.Find(ref row, "requestCharge");
        double? charge = LayoutType.Float64.ReadSparse(ref row, ref root, out var value) == Result.Success ? value : null;
        return new OperationResult(status, etag, body, charge);
    }

    private static void Check(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("HybridRow call failed.");
        }
    }

    private async Task<(HttpStatusCode Status, List<OperationResult> Results)> SendAsync(string partitionKey, params Operation[] operations)
    {
        var rows = operations.Select(WriteOperation).ToList();
        using var request = new MemoryStream();
        var written = await RecordIOStream.WriteRecordIOAsync(request, new Segment("enclave golden test", s_resolver.Namespace), (long index, out ReadOnlyMemory<byte> buffer) =>
        {
            buffer = index < rows.Count ? rows[(int)index] : default;
            return Result.Success;
        });
        Check(written == Result.Success);

        var endpoint = (await LocalEmulators.GetAsync()).CosmosEndpoint;
        using var http = new HttpClient { BaseAddress = endpoint };
        using var message = new HttpRequestMessage(HttpMethod.Post, $"dbs/{cosmos.Options.DatabaseName}/colls/{cosmos.Options.ContainerName}/docs")
        {
            Content = new ByteArrayContent(request.ToArray()),
        };
        message.Headers.Add("x-ms-cosmos-is-batch-request", "True");
        message.Headers.Add("x-ms-cosmos-batch-atomic", "True");
        message.Headers.Add("x-ms-documentdb-partitionkey", $"[\"{partitionKey}\"]");
        using var response = await http.SendAsync(message);
        var answer = await response.Content.ReadAsByteArrayAsync();

        // RecordIOParser is what the SDK itself reads batch answers with.
        var results = new List<OperationResult>();
        ReadOnlyMemory<byte> rest = answer;
        var parser = default(RecordIOParser);
        while (rest.Length > 0)
        {
            var parsed = parser.Process(rest, out var type, out ReadOnlyMemory<byte> record, out _, out var consumed);
            Assert.True(parsed == Result.Success, $"The answer is not a RecordIO stream: {Convert.ToHexString(answer)}");
            if (type == RecordIOParser.ProductionType.Record)
            {
                results.Add(ReadResult(record.Span));
            }

            rest = rest[consumed..];
        }

        return (response.StatusCode, results);
    }

    [Fact]
    public async Task Library_written_batch_is_executed_and_the_answer_reads_back_with_the_library()
    {
        if (!(await LocalEmulators.GetAsync()).IsEmulator)
        {
            return; // The raw wire exchange is the emulator's; a real account needs signed requests.
        }

        var pk = Guid.NewGuid().ToString();
        var (status, results) = await SendAsync(pk,
            new Operation(0, Body: $"{{\"id\":\"a\",\"projectId\":\"{pk}\"}}"),
            new Operation(2, Id: "a"),
            new Operation(4, Id: "a"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([201, 200, 204], results.Select(r => r.StatusCode));
        Assert.Contains("\"id\":\"a\"", results[0].Body, StringComparison.Ordinal);
        Assert.Equal(results[0].ETag, results[1].ETag);
        Assert.StartsWith("\"", results[0].ETag, StringComparison.Ordinal);
        Assert.Null(results[2].Body);
        Assert.All(results, r => Assert.Equal(1, r.RequestCharge));
    }

    [Fact]
    public async Task Failed_atomic_batch_answers_207_with_424_for_the_others()
    {
        if (!(await LocalEmulators.GetAsync()).IsEmulator)
        {
            return;
        }

        var pk = Guid.NewGuid().ToString();
        var (status, results) = await SendAsync(pk,
            new Operation(0, Body: $"{{\"id\":\"b\",\"projectId\":\"{pk}\"}}"),
            new Operation(5, Id: "missing", Body: $"{{\"id\":\"missing\",\"projectId\":\"{pk}\"}}", IfMatch: "\"stale\""));

        Assert.Equal(HttpStatusCode.MultiStatus, status);
        Assert.Equal([424, 404], results.Select(r => r.StatusCode));
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Enclave.Domain.Audit;

/// <summary>
/// The hash chain of a project's audit trail. Records are sealed in order: record n carries its sequence number, the
/// hash of record n-1 and its own hash, SHA-256 over <c>"{previous}\n{n}\n"</c> and the record's canonical JSON (keys
/// sorted, no whitespace) without the entities' references — those may be erased, and their hashes, which stay, are
/// hashed instead. Changing, removing or reordering a sealed record breaks the chain at that record.
/// </summary>
public static class AuditChain
{
    /// <summary>The hash before the first record.</summary>
    public static string Genesis { get; } = new('0', 64);

    /// <summary>The hash of the record <paramref name="resourceJson"/> sealed as number <paramref name="sequence"/> after <paramref name="previous"/>.</summary>
    /// <exception cref="JsonException">When the JSON is not an object (a tampered record).</exception>
    public static string Link(string previous, long sequence, ReadOnlyMemory<byte> resourceJson)
    {
        ArgumentNullException.ThrowIfNull(previous);
        using var record = JsonDocument.Parse(resourceJson, s_bounded);
        if (record.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("An audit record is a JSON object.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(previous + "\n" + sequence.ToString(CultureInfo.InvariantCulture) + "\n"));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(resourceJson.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, record.RootElement, Place.Record);
        }

        hash.AppendData(buffer.WrittenSpan);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Whether every entity's reference (if still there) is a string and the one its hash names. References are outside
    /// the chain's hash, so this is what catches one that was changed.
    /// </summary>
    /// <exception cref="JsonException">When the bytes are not JSON.</exception>
    public static bool ReferencesMatchHashes(ReadOnlyMemory<byte> resourceJson)
    {
        using var record = JsonDocument.Parse(resourceJson);
        if (record.RootElement.ValueKind != JsonValueKind.Object || !record.RootElement.TryGetProperty("entity"u8, out var entities)
            || entities.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        foreach (var entity in entities.EnumerateArray())
        {
            if (entity.ValueKind != JsonValueKind.Object || !entity.TryGetProperty("what"u8, out var what) || what.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var hash = what.TryGetProperty("identifier"u8, out var identifier) && identifier.ValueKind == JsonValueKind.Object
                && identifier.TryGetProperty("value"u8, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            foreach (var property in what.EnumerateObject())
            {
                if (property.NameEquals("reference"u8)
                    && (property.Value.ValueKind != JsonValueKind.String || hash != AuditQuery.Hash(property.Value.GetString()!)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Checks <paramref name="links"/>, sealed records in sequence order: each follows the one before without a gap,
    /// names its hash, and hashes to what it says; and, when the walk reaches the end of the trail, the last one is the
    /// <paramref name="head"/>. The first record is taken as given (records before the range, or past their
    /// retention, are not read).
    /// </summary>
    public static async Task<AuditVerification> VerifyAsync(IAsyncEnumerable<AuditLink> links, AuditHead? head, bool toEnd, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(links);
        AuditLink? previous = null;
        var count = 0;
        await foreach (var link in links.WithCancellation(cancellationToken))
        {
            var broken = previous is null && link.Sequence == 1 && link.Previous != Genesis ? "the first record does not start from the genesis hash"
                : previous is not null && link.Sequence != previous.Sequence + 1 ? $"record {previous.Sequence + 1} is missing"
                : previous is not null && link.Previous != previous.Hash ? "it does not name the hash of the record before it"
                : !Hashes(link) ? "its content does not match its hash"
                : null;
            if (broken is not null)
            {
                return new AuditVerification(false, count, previous?.Sequence, link, $"The chain breaks at record {link.Sequence.ToString(CultureInfo.InvariantCulture)} ({link.Id}): {broken}.");
            }

            previous = link;
            count++;
        }

        if (toEnd && head is not null && previous is not null && (previous.Sequence != head.Sequence || previous.Hash != head.Hash))
        {
            return new AuditVerification(false, count, previous.Sequence, previous,
                $"The chain ends at record {previous.Sequence.ToString(CultureInfo.InvariantCulture)}, but the trail's head is record {head.Sequence.ToString(CultureInfo.InvariantCulture)}: later records are missing.");
        }

        return new AuditVerification(true, count, previous?.Sequence, null, null);
    }

    private static bool Hashes(AuditLink link)
    {
        try
        {
            return Link(link.Previous, link.Sequence, link.ResourceJson) == link.Hash && ReferencesMatchHashes(link.ResourceJson);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A record nests at most 64 levels (stated, not left to the parser's default): the canonical writer recurses that deep.</summary>
    private static readonly JsonDocumentOptions s_bounded = new() { MaxDepth = 64 };

    /// <summary>Where in the record a value is: what decides that an entity's <c>what.reference</c> is left out.</summary>
    private enum Place
    {
        Record,
        Entities,
        Entity,
        What,
        Other,
    }

    /// <summary>
    /// <paramref name="element"/> with keys sorted (ordinal) and no whitespace, without the references of
    /// <c>entity[*].what</c>; values are written as <see cref="JsonElement.WriteTo"/> writes them.
    /// </summary>
    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element, Place place)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<(string Name, JsonElement Value)>();
                foreach (var property in element.EnumerateObject())
                {
                    if (!(place == Place.What && property.NameEquals("reference"u8)))
                    {
                        properties.Add((property.Name, property.Value));
                    }
                }

                properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                writer.WriteStartObject();
                foreach (var (name, value) in properties)
                {
                    writer.WritePropertyName(name);
                    var inner = (place, name) switch
                    {
                        (Place.Record, "entity") => Place.Entities,
                        (Place.Entity, "what") => Place.What,
                        _ => Place.Other,
                    };
                    WriteCanonical(writer, value, inner);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item, place == Place.Entities ? Place.Entity : Place.Other);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}

/// <summary>A sealed audit record as the chain sees it.</summary>
/// <param name="Id">The AuditEvent id.</param>
/// <param name="Sequence">Its number in the project's trail, from 1.</param>
/// <param name="Previous">The hash of record <c>Sequence - 1</c> (<see cref="AuditChain.Genesis"/> for the first).</param>
/// <param name="Hash">Its own hash.</param>
/// <param name="ResourceJson">The AuditEvent JSON as stored.</param>
public sealed record AuditLink(string Id, long Sequence, string Previous, string Hash, ReadOnlyMemory<byte> ResourceJson);

/// <summary>The last sealed record of a project's trail.</summary>
/// <param name="Sequence">Its number.</param>
/// <param name="Hash">Its hash.</param>
public sealed record AuditHead(long Sequence, string Hash);

/// <summary>The outcome of <see cref="AuditChain.VerifyAsync"/>.</summary>
/// <param name="Intact">Whether every record checked links and hashes.</param>
/// <param name="Checked">How many records were checked before the first broken one.</param>
/// <param name="LastGood">The sequence number of the last record that checked.</param>
/// <param name="Broken">The first record that did not, if any.</param>
/// <param name="Problem">What is wrong with it.</param>
public sealed record AuditVerification(bool Intact, int Checked, long? LastGood, AuditLink? Broken, string? Problem);

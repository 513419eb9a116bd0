using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;

namespace Enclave.Domain.Backup;

/// <summary>
/// One line of a backup's resource file: a stored version with what a restore needs to put it back as it was at the
/// backup's instant T: <c>{"type", "id", "versionId", "lastUpdated", "deleted", "supersededAt"?, "resource"?}</c>.
/// <c>supersededAt</c> is there only when a later version replaced this one at or before T; a version without it was
/// the current one at T. A deletion has no <c>resource</c>.
/// </summary>
/// <param name="Type">The resource type.</param>
/// <param name="Id">The logical id.</param>
/// <param name="VersionId">The version.</param>
/// <param name="LastUpdated">When the version was written.</param>
/// <param name="Deleted">Whether the version records a deletion.</param>
/// <param name="SupersededAt">When the next version replaced it (null: current at T).</param>
/// <param name="Resource">The resource's JSON (null for a deletion).</param>
public sealed record BackupLine(string Type, string Id, int VersionId, DateTimeOffset LastUpdated, bool Deleted, DateTimeOffset? SupersededAt, JsonObject? Resource)
{
    /// <summary>The line of <paramref name="version"/> in a backup taken at <paramref name="at"/> (compact UTF-8 JSON, no line break).</summary>
    public static byte[] Write(StoredResource version, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(version);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, version.ResourceType);
            writer.WriteString("id"u8, version.Id);
            writer.WriteNumber("versionId"u8, version.VersionId);
            writer.WriteString("lastUpdated"u8, DateRange.Text(version.LastUpdated));
            writer.WriteBoolean("deleted"u8, version.Deleted);
            if (version.SupersededAt is { } superseded && superseded <= at)
            {
                writer.WriteString("supersededAt"u8, DateRange.Text(superseded));
            }

            if (!version.Deleted)
            {
                writer.WritePropertyName("resource"u8);
                writer.WriteRawValue(version.Utf8Json.Span, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a line; null (with why) when it is not a backup line of a known type and a valid id.</summary>
    public static (BackupLine? Line, string? Problem) Read(ReadOnlySpan<byte> line)
    {
        if (!JsonEscapes.AreText(line))
        {
            return (null, JsonEscapes.Refusal);
        }

        try
        {
            if (JsonNode.Parse(line) is not JsonObject o
                || o["type"]?.GetValue<string>() is not { } type || !ResourceTypes.IsKnown(type)
                || o["id"]?.GetValue<string>() is not { } id || !FhirId.IsValid(id)
                || o["versionId"]?.GetValue<int>() is not ({ } versionId and > 0)
                || o["lastUpdated"]?.GetValue<string>() is not { } lastUpdated)
            {
                return (null, "a line lacks its type, id, version or time");
            }

            var deleted = o["deleted"]?.GetValue<bool>() ?? false;
            var resource = o["resource"] as JsonObject;
            if (!deleted && (resource is null || resource["resourceType"]?.GetValue<string>() != type))
            {
                return (null, $"the line of {type}/{id} version {versionId} holds no {type}");
            }

            var superseded = o["supersededAt"]?.GetValue<string>() is { } text ? Instant(text) : (DateTimeOffset?)null;
            o.Remove("resource"); // the resource node moves to the line, which may change it
            return (new BackupLine(type, id, versionId, Instant(lastUpdated), deleted, superseded, deleted ? null : resource), null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return (null, "a line is not a backup line");
        }
    }

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

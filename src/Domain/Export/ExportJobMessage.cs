using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Enclave.Domain.Export;

/// <summary>
/// The body of a message on the export work queue. It carries only the job's identity (its project, which is the
/// partition it lives in, and its id): queue messages are capped at 64 KiB and may be delivered more than once, so
/// the job's state lives in the store, never in the message.
/// </summary>
/// <param name="ProjectId">The project whose partition holds the job.</param>
/// <param name="JobId">The job to advance.</param>
/// <param name="Kind">Null for an export job; <c>erasure</c> for an erasure job, which shares the work queue.</param>
public sealed record ExportJobMessage(string ProjectId, string JobId, string? Kind = null)
{
    /// <summary>Serialises the message to the JSON text placed on the queue.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Wire { ProjectId = ProjectId, JobId = JobId, Kind = Kind });

    /// <summary>Reads a message from queue text; false when the text is not an export job message.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ExportJobMessage? message)
    {
        message = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            var wire = JsonSerializer.Deserialize<Wire>(text);
            if (string.IsNullOrWhiteSpace(wire?.JobId) || string.IsNullOrWhiteSpace(wire.ProjectId))
            {
                return false;
            }

            message = new ExportJobMessage(wire.ProjectId, wire.JobId, wire.Kind);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private sealed class Wire
    {
        [System.Text.Json.Serialization.JsonPropertyName("projectId")]
        public string? ProjectId { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("jobId")]
        public string? JobId { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("kind"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public string? Kind { get; set; }
    }
}

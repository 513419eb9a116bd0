using System.Globalization;
using System.Text.Json;

namespace Enclave.Functions.Hosting;

/// <summary>
/// What the Functions host POSTs to <c>/{FunctionName}</c> for a queue-triggered function:
/// <c>{"Data": {binding: message}, "Metadata": {"Id", "DequeueCount", "InsertionTime", …}}</c>. The host often
/// JSON-encodes values twice (a text message arrives as <c>"\"text\""</c>, numbers as strings), so every field is
/// decoded tolerantly.
/// </summary>
/// <param name="MessageText">The queue message's text as it was enqueued.</param>
/// <param name="MessageId">The queue message id, when the host sent it.</param>
/// <param name="DequeueCount">How many times the message has been dequeued, 1 on the first delivery.</param>
/// <param name="InsertionTime">When the message was enqueued, when the host sent it.</param>
public sealed record QueueTriggerInvocation(
    string MessageText, string? MessageId, int DequeueCount, DateTimeOffset? InsertionTime)
{
    /// <summary>Decodes the host's payload; false (with a reason) when it is not a queue invocation for <paramref name="bindingName"/>.</summary>
    public static bool TryParse(JsonElement payload, string bindingName, out QueueTriggerInvocation? invocation, out string error)
    {
        invocation = null;
        error = string.Empty;
        if (payload.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("Data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty(bindingName, out var message))
        {
            error = $"The payload has no Data.{bindingName}.";
            return false;
        }

        var text = Unwrap(message);
        if (text is null)
        {
            error = $"Data.{bindingName} is empty.";
            return false;
        }

        payload.TryGetProperty("Metadata", out var metadata);
        var dequeueCount = int.TryParse(Field(metadata, "DequeueCount"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 1;
        var insertion = DateTimeOffset.TryParse(Field(metadata, "InsertionTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : (DateTimeOffset?)null;
        invocation = new QueueTriggerInvocation(text, Field(metadata, "Id"), dequeueCount, insertion);
        return true;
    }

    private static string? Field(JsonElement metadata, string name) =>
        metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(name, out var value) ? Unwrap(value) : null;

    /// <summary>
    /// The text of a value: a string whose content is itself a JSON string is unwrapped once more; an object or
    /// array (a JSON message the host parsed) is returned as its JSON text.
    /// </summary>
    private static string? Unwrap(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
                {
                    try
                    {
                        return JsonSerializer.Deserialize<string>(text);
                    }
                    catch (JsonException)
                    {
                        return text;
                    }
                }

                return text;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            default:
                return value.GetRawText();
        }
    }
}

using System.ComponentModel.DataAnnotations;

namespace Enclave.Functions.Hosting;

/// <summary>
/// The queue trigger's settings as the Functions host reads them: <c>extensions.queues</c> of <c>host.json</c>,
/// overridable by the app settings <c>AzureFunctionsJobHost__extensions__queues__*</c>. The local host's
/// <see cref="LocalQueuePoller"/> follows them.
/// </summary>
public sealed class QueueHostOptions
{
    /// <summary>The configuration section (host.json is loaded under <c>AzureFunctionsJobHost</c>).</summary>
    public const string SectionName = "AzureFunctionsJobHost:extensions:queues";

    /// <summary>Deliveries before a failing message moves to <c>&lt;queue&gt;-poison</c>.</summary>
    [Range(1, 1000)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a failed message stays invisible before its next delivery.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>The longest wait between polls of an empty queue (the wait doubles from 100 ms up to this).</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Messages taken per poll.</summary>
    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;

    /// <summary>How message text is encoded: Enclave writes Base64, the host's default.</summary>
    [RegularExpression("(?i)^base64$", ErrorMessage = "Enclave's queues hold Base64 messages: extensions.queues.messageEncoding must be base64.")]
    public string MessageEncoding { get; set; } = "base64";
}

using System.Text.Json;
using System.Text.RegularExpressions;

namespace Enclave.Functions.Hosting;

/// <summary>
/// What <c>func start</c> would read for the local host: <c>local.settings.json</c> (its <c>Values</c> become
/// environment variables unless the environment already sets them, and <c>Host.LocalHttpPort</c> the port),
/// <c>host.json</c> (under <c>AzureFunctionsJobHost</c>, where app settings override it), binding expressions
/// (<c>%Setting%</c>) and <c>AzureWebJobs.&lt;Function&gt;.Disabled</c>.
/// </summary>
public static partial class LocalSettings
{
    /// <summary>The file <c>func start</c> reads.</summary>
    public const string FileName = "local.settings.json";

    private static readonly JsonDocumentOptions s_json = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Applies the first <c>local.settings.json</c> found in <paramref name="directories"/>; none is fine.</summary>
    public static void Apply(params string[] directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        var path = directories.Select(d => Path.Combine(d, FileName)).FirstOrDefault(File.Exists);
        if (path is null)
        {
            return;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(path), s_json);
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (json.RootElement.TryGetProperty("Values", out var values) && values.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in values.EnumerateObject())
            {
                settings[value.Name] = value.Value.ValueKind == JsonValueKind.String ? value.Value.GetString() : value.Value.GetRawText();
            }
        }

        if (json.RootElement.TryGetProperty("Host", out var host) && host.TryGetProperty("LocalHttpPort", out var port))
        {
            settings["Host__LocalHttpPort"] = port.GetRawText();
        }

        foreach (var (name, value) in settings)
        {
            if (Environment.GetEnvironmentVariable(name) is null)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    /// <summary>Adds <paramref name="directory"/>'s <c>host.json</c> under <c>AzureFunctionsJobHost</c>, below every other source.</summary>
    public static void AddHostJson(IConfigurationBuilder configuration, string directory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var path = Path.Combine(directory, "host.json");
        if (!File.Exists(path))
        {
            return;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(path), s_json);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Flatten(json.RootElement, "AzureFunctionsJobHost", values);
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = values });
    }

    /// <summary>Resolves the <c>%Setting%</c> expressions in <paramref name="expression"/>, as the host does for trigger attributes.</summary>
    public static string Resolve(IConfiguration configuration, string expression)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Setting().Replace(expression, m => configuration[m.Groups[1].Value]
            ?? throw new InvalidOperationException($"The binding expression {m.Value} names a setting that is not set."));
    }

    /// <summary>Whether the app setting <c>AzureWebJobs.&lt;name&gt;.Disabled</c> turns the function off.</summary>
    public static bool IsDisabled(IConfiguration configuration, string name) =>
        configuration?.GetValue($"AzureWebJobs.{name}.Disabled", false) == true;

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, string?> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, $"{prefix}:{property.Name}", values);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}:{index++}", values);
                }

                break;
            default:
                values[prefix] = element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
                break;
        }
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex Setting();
}

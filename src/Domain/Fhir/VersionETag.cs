using System.Globalization;

namespace Enclave.Domain.Fhir;

/// <summary>A resource version as an ETag, <c>W/"3"</c>: one parser for REST headers and bundle entries alike.</summary>
public static class VersionETag
{
    /// <summary>The ETag of <paramref name="versionId"/>.</summary>
    public static string Format(int versionId) => $"W/\"{versionId.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The version a (weak or strong) ETag names, e.g. <c>W/"3"</c> or <c>"3"</c>; null for anything else.</summary>
    public static int? Parse(string? value)
    {
        var text = value?.Trim();
        if (text is null)
        {
            return null;
        }

        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1];
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0 ? version : null;
    }
}

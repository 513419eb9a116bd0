using System.Globalization;

namespace Enclave.Domain.Search;

/// <summary>Parsing of the value forms shared by the search evaluators: prefixes, tokens, numbers, escapes.</summary>
public static class SearchValues
{
    /// <summary>Splits a leading prefix (<c>ge2024</c>) from its value; no prefix means <see cref="SearchPrefix.Eq"/>.</summary>
    public static (SearchPrefix Prefix, string Value) SplitPrefix(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1])
            && Enum.TryParse<SearchPrefix>(value[..2], ignoreCase: true, out var prefix))
        {
            return (prefix, value[2..]);
        }

        return (SearchPrefix.Eq, value);
    }

    /// <summary>A token value: <c>code</c> (any system), <c>system|code</c>, <c>|code</c> (no system), <c>system|</c>.</summary>
    public static (string? System, string? Code, bool NoSystem) SplitToken(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bar = IndexOfUnescaped(value, '|');
        if (bar < 0)
        {
            return (null, Unescape(value), false);
        }

        var system = Unescape(value[..bar]);
        var code = Unescape(value[(bar + 1)..]);
        return (system.Length == 0 ? null : system, code.Length == 0 ? null : code, system.Length == 0);
    }

    /// <summary>A number with its implicit precision: <c>100</c> covers [99.5, 100.5), <c>1e2</c> the same.</summary>
    public static bool TryParseNumber(string text, out decimal value, out decimal low, out decimal high)
    {
        low = high = 0;
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        var mantissa = text.Split('e', 'E')[0];
        var decimals = mantissa.Contains('.', StringComparison.Ordinal) ? mantissa.Length - mantissa.IndexOf('.', StringComparison.Ordinal) - 1 : 0;
        var exponent = text.Contains('e', StringComparison.OrdinalIgnoreCase) ? int.Parse(text.Split('e', 'E')[1], CultureInfo.InvariantCulture) : 0;
        var half = 0.5m * (decimal)Math.Pow(10, exponent - decimals);
        low = value - half;
        high = value + half;
        return true;
    }

    /// <summary>
    /// The range <c>ap</c> matches: widened by 10% of its distance from now. "Now" is today's date (UTC), so a query
    /// means the same thing on every page of its results all day.
    /// </summary>
    public static DateRange Approximately(DateRange range)
    {
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var margin = TimeSpan.FromTicks(Math.Abs((today - range.Low).Ticks) / 10);
        return new DateRange(range.Low - margin, range.High + margin);
    }

    /// <summary>Splits a parameter value on unescaped commas (each part unescaped except for <c>\|</c>).</summary>
    public static IReadOnlyList<string> SplitOr(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i <= value.Length; i++)
        {
            if (i == value.Length || (value[i] == ',' && (i == 0 || value[i - 1] != '\\')))
            {
                parts.Add(value[start..i].Replace("\\,", ",", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal));
                start = i + 1;
            }
        }

        return parts;
    }

    private static int IndexOfUnescaped(string value, char c)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == c && (i == 0 || value[i - 1] != '\\'))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Unescape(string value) => value.Replace("\\|", "|", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}

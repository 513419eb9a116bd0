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

    /// <summary>
    /// A number with its implicit precision: <c>100</c> covers [99.5, 100.5), <c>1e2</c> the same. False for what is
    /// not a number, and for numbers whose range (or the 10% that <c>ap</c> widens it by) leaves the range of
    /// <see cref="decimal"/>, or whose precision is finer than it holds (<c>7.9e28</c>, <c>0e2147483648</c>, <c>1e-400</c>).
    /// </summary>
    public static bool TryParseNumber(string text, out decimal value, out decimal low, out decimal high)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = low = high = 0;
        var parts = text.Split('e', 'E');
        var exponent = 0;
        if (parts.Length > 2 || (parts.Length == 2 && !int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)))
        {
            return false;
        }

        var mantissa = parts[0];
        var decimals = mantissa.Contains('.', StringComparison.Ordinal) ? mantissa.Length - mantissa.IndexOf('.', StringComparison.Ordinal) - 1 : 0;
        var scale = (long)exponent - decimals;
        if (scale is < -MaxScale or > MaxScale || !decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        try
        {
            var half = 0.5m * Pow10((int)scale);
            low = value - half;
            high = value + half;

            // ap widens the value by 10% each way: that must fit too.
            var margin = Math.Abs(value) / 10;
            return value + margin > low && value - margin < high;
        }
        catch (OverflowException)
        {
            value = low = high = 0;
            return false;
        }
    }

    /// <summary>The finest and coarsest precision (a power of ten) a <see cref="decimal"/> search number may have.</summary>
    private const int MaxScale = 28;

    private static decimal Pow10(int scale)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(scale); i++)
        {
            result = scale > 0 ? result * 10 : result / 10;
        }

        return result;
    }

    /// <summary>
    /// The range <c>ap</c> matches: widened by 10% of its distance from now. "Now" is the UTC date of
    /// <paramref name="now"/> (the caller's clock, never read here), so a query means the same thing on every page of
    /// its results all day.
    /// </summary>
    public static DateRange Approximately(DateRange range, DateTimeOffset now)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var margin = TimeSpan.FromTicks(Math.Abs((today - range.Low).Ticks) / 10);

        // Clamped: ap0001-01-01 reaches back before the first instant there is.
        var low = range.Low - DateRange.Min > margin ? range.Low - margin : DateRange.Min;
        var high = DateRange.Max - range.High > margin ? range.High + margin : DateRange.Max;
        return new DateRange(low, high);
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

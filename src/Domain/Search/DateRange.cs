using System.Globalization;
using System.Text.RegularExpressions;

namespace Enclave.Domain.Search;

/// <summary>
/// A FHIR date, dateTime or instant as the range of instants it covers at its precision ("2024-03" is all of March
/// 2024). Bounds are inclusive and kept as fixed-width UTC strings, so they compare correctly as text in Cosmos DB.
/// A value without a time zone is taken as UTC.
/// </summary>
public readonly partial record struct DateRange(DateTimeOffset Low, DateTimeOffset High)
{
    /// <summary>The text form stored in the index and compared in queries.</summary>
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>The lower bound as index text.</summary>
    public string LowText => Text(Low);

    /// <summary>The upper bound as index text.</summary>
    public string HighText => Text(High);

    /// <summary>An instant as index text: fixed-width UTC, so text order is time order.</summary>
    public static string Text(DateTimeOffset instant) => instant.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>The earliest and latest instants the index can hold: open ends of periods.</summary>
    public static readonly DateTimeOffset Min = DateTimeOffset.MinValue, Max = DateTimeOffset.MaxValue;

    [GeneratedRegex(@"^(?<y>\d{4})(-(?<m>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<min>\d{2})(:(?<s>\d{2})(?<f>\.\d+)?)?(?<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$")]
    private static partial Regex Pattern();

    /// <summary>Parses a FHIR date, dateTime or instant; false when it is not one.</summary>
    public static bool TryParse(string? text, out DateRange range)
    {
        range = default;
        var match = Pattern().Match(text ?? string.Empty);
        if (!match.Success)
        {
            return false;
        }

        try
        {
            int Part(string name, int fallback) => match.Groups[name].Success ? int.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : fallback;
            var offset = TimeSpan.Zero;
            if (match.Groups["tz"].Value is { Length: > 1 } tz)
            {
                // FHIR offsets run from -14:00 to +14:00 (+99:99 is no offset at all).
                var (hours, minutes) = (int.Parse(tz[1..3], CultureInfo.InvariantCulture), int.Parse(tz[4..6], CultureInfo.InvariantCulture));
                if (hours > 14 || minutes > 59 || (hours == 14 && minutes > 0))
                {
                    return false;
                }

                offset = new TimeSpan(hours, minutes, 0) * (tz[0] == '-' ? -1 : 1);
            }

            var local = new DateTime(Part("y", 1), Part("m", 1), Part("d", 1), Part("h", 0), Part("min", 0), Part("s", 0), DateTimeKind.Unspecified);
            if (match.Groups["f"].Success)
            {
                local = local.AddTicks((long)(decimal.Parse("0" + match.Groups["f"].Value, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond));
            }

            var low = new DateTimeOffset(local, offset);
            DateTimeOffset high;
            try
            {
                high = (match.Groups["f"].Success ? low.AddTicks(PrecisionTicks(match.Groups["f"].Value.Length - 1))
                    : match.Groups["s"].Success ? low.AddSeconds(1)
                    : match.Groups["min"].Success ? low.AddMinutes(1)
                    : match.Groups["d"].Success ? low.AddDays(1)
                    : match.Groups["m"].Success ? low.AddMonths(1)
                    : low.AddYears(1)).AddTicks(-1);
            }
            catch (ArgumentOutOfRangeException)
            {
                // The last period of 9999 ends with the calendar.
                high = DateTimeOffset.MaxValue;
            }

            range = new DateRange(low.ToUniversalTime(), high.ToUniversalTime());
            return true;
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or OverflowException or FormatException)
        {
            // A date that does not exist (2024-02-30), or one whose range leaves the calendar (9999-12-31T23:59-01:00).
            return false;
        }
    }

    private static long PrecisionTicks(int digits) => digits >= 7 ? 1 : (long)Math.Pow(10, 7 - digits);
}

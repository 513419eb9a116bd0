using System.Globalization;
using System.Text;

namespace Enclave.Domain.Search;

/// <summary>The form strings are compared in by default: lower case without accents ("Müller" matches "muller").</summary>
public static class SearchText
{
    /// <summary>Lower-cases <paramref name="value"/> and removes diacritics.</summary>
    public static string Normalize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var decomposed = value.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString().Normalize(NormalizationForm.FormC);
    }
}

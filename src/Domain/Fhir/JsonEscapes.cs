using System.Text.Json;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Whether every escaped key and string of a JSON text is UTF-16 text. An escaped lone surrogate (<c>"\ud800"</c>) is
/// valid JSON and parses into a <see cref="JsonElement"/>, but reading it as a string throws: a restore checks each
/// tenancy line of a backup file here before it reads the line's strings. (FHIR bodies get the same refusal from their
/// scan before parsing.)
/// </summary>
public static class JsonEscapes
{
    /// <summary>False when some escaped key or string of <paramref name="json"/> is no UTF-16 text; true otherwise, malformed JSON included (its parser refuses it).</summary>
    public static bool AreText(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ParserLimits.DefaultMaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    _ = reader.GetString();
                }
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (JsonException)
        {
            // Not JSON, or deeper than any parser behind accepts: that parser says so.
        }

        return true;
    }
}

using System.Text.Json;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Whether every escaped key and string of a JSON text is UTF-16 text. An escaped lone surrogate (<c>"\ud800"</c>) is
/// valid JSON and parses into a node or element, but reading it as a string (or writing the node back) throws: a
/// restore checks each line of a backup file here before it parses it (<see cref="Backup.BackupLine"/>, tenancy
/// lines), so such a line fails the restore with <see cref="Refusal"/>. FHIR bodies get the same refusal from their
/// scan before parsing (<c>BodyScanner</c>), in the same pass as their other bounds.
/// </summary>
public static class JsonEscapes
{
    /// <summary>Why a text that is not <see cref="AreText"/> is refused.</summary>
    public const string Refusal = "a line holds an escape that is not valid UTF-16 text (a lone surrogate)";

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

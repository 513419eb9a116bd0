using System.Text;

namespace Enclave.Functions.Fhir;

/// <summary>The <c>_page</c> parameter of next links: the store's continuation, base64url-encoded so it survives a URL.</summary>
internal static class PageToken
{
    public static string Encode(string continuation) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(continuation)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

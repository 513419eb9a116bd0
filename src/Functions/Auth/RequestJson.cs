using System.Text.Json;
using Enclave.Functions.Fhir;
using Enclave.Functions.Invocation;

namespace Enclave.Functions.Auth;

/// <summary>
/// Reads the JSON body of the auth and tenancy routes itself instead of leaving it to minimal-API binding, whose
/// failures answer a bare 400 (or, in Development, a 500 with a stack trace). Every refusal is an
/// OperationOutcome: 415 for a body that is not JSON, 413 over the size limit, 400 for JSON that does not parse, is
/// nested deeper than <see cref="MaxDepth"/>, repeats a key or has a value of the wrong type. No parser text is echoed.
/// </summary>
internal static class RequestJson
{
    /// <summary>The deepest nesting accepted; these bodies are flat records.</summary>
    public const int MaxDepth = 32;

    /// <summary>The size limit of sign-in bodies (an email, a password, a PKCE challenge…).</summary>
    public const int SignInMaxBytes = 16 * 1024;

    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web) { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>The body as <typeparamref name="T"/> (null for an empty body or <c>null</c>), or the refusal to send.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, int maxBytes = FhirHttp.MaxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes)
        {
            return (default, TooLarge(maxBytes));
        }

        try
        {
            using var body = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
            {
                if (body.Length + read > maxBytes)
                {
                    return (default, TooLarge(maxBytes));
                }

                body.Write(buffer, 0, read);
            }

            if (body.Length == 0)
            {
                return (default, null);
            }

            if (!IsJson(request.ContentType))
            {
                return (default, ErrorMap.Answer(ErrorKind.UnsupportedMedia, "The body must be JSON (application/json)."));
            }

            return (JsonSerializer.Deserialize<T>(body.GetBuffer().AsSpan(0, (int)body.Length), s_options), null);
        }
        catch (JsonException)
        {
            return (default, ErrorMap.Answer(ErrorKind.Invalid, "The body is not valid JSON of the expected shape (malformed, too deep, a repeated key or a value of the wrong type)."));
        }
        catch (BadHttpRequestException e)
        {
            return (default, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge(maxBytes)
                : ErrorMap.Answer(ErrorKind.Invalid, "The request body could not be read."));
        }
    }

    private static bool IsJson(string? contentType)
    {
        var mediaType = contentType?.Split(';')[0].Trim();
        return mediaType is not null && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static IResult TooLarge(int maxBytes) =>
        ErrorMap.Answer(ErrorKind.TooLarge, $"The body exceeds {maxBytes} bytes.");
}

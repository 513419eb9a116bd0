namespace Enclave.Functions.Edge;

/// <summary>Reads an <c>application/x-www-form-urlencoded</c> body within the form limits of <see cref="EdgeLimitsOptions"/>.</summary>
public static class RequestForm
{
    /// <summary>
    /// The form, or why it cannot be read: not a form, over a limit (too many fields, a value or name too long), or
    /// malformed. A multipart body counts as not a form: no Enclave route takes one.
    /// </summary>
    public static async Task<(IFormCollection? Form, string? Error)> ReadAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasFormContentType || request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true)
        {
            return (null, "The body must be application/x-www-form-urlencoded.");
        }

        try
        {
            return (await request.ReadFormAsync(request.HttpContext.RequestAborted), null);
        }
        catch (InvalidDataException ex)
        {
            // FormReader's messages name the limit that was passed ("Form value count limit 200 exceeded.") and nothing of the input.
            return (null, $"The form cannot be read: {ex.Message}");
        }
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Enclave.Domain.Audit;

/// <summary>
/// How a search or operation's parameters are written into an audit record: the names and modifiers as asked, the
/// values of the parameters that only shape the answer (<c>_count</c>, <c>_sort</c>, <c>_include</c>…) as they are, and
/// every other value as its SHA-256 (<see cref="Hash"/>). An auditor can still tell which search was made — and
/// whether it was for a value they hold, by hashing it — while the trail itself carries no value a client searched for.
/// </summary>
public static class AuditQuery
{
    /// <summary>The prefix of a hashed value.</summary>
    public const string HashPrefix = "sha256:";

    private static readonly HashSet<string> s_shaping = new(StringComparer.Ordinal)
    {
        "_count", "_sort", "_summary", "_elements", "_total", "_include", "_revinclude", "_type", "_format", "_pretty",
        "_outputFormat", "_since",
    };

    /// <summary>
    /// <c>Type?name=value&amp;…</c> (or <c>?…</c> without a type) for <paramref name="parameters"/>, with values redacted as
    /// this type says; <c>_page</c> (a signed cursor) is written as its name alone.
    /// </summary>
    public static string Redact(string? resourceType, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder(resourceType ?? string.Empty).Append('?');
        var first = true;
        foreach (var (name, value) in parameters)
        {
            if (!first)
            {
                text.Append('&');
            }

            first = false;
            text.Append(Uri.EscapeDataString(name));
            if (name == "_page")
            {
                continue;
            }

            var bare = name.Split(':', 2)[0];
            text.Append('=').Append(s_shaping.Contains(bare) ? Uri.EscapeDataString(value) : HashPrefix + Hash(value));
        }

        return text.ToString();
    }

    /// <summary>The lower-case hex SHA-256 of <paramref name="value"/>'s UTF-8 bytes.</summary>
    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

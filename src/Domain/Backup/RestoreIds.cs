using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Enclave.Domain.Search;

namespace Enclave.Domain.Backup;

/// <summary>
/// The ids a restore gives: the backup's own, or with a seed (the restore job's id) new ones derived from it and the
/// old <c>Type/id</c>, so every step, and every repeat of a step, maps each resource to the same new id with nothing
/// stored, and every reference to it is rewritten to match.
/// </summary>
/// <param name="seed">Null to keep ids; otherwise the seed of the new ones.</param>
public sealed class RestoreIds(string? seed)
{
    /// <summary>The id <paramref name="type"/>/<paramref name="id"/> is restored under.</summary>
    public string Map(string type, string id)
    {
        if (seed is null)
        {
            return id;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{type}/{id}"));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    /// <summary>
    /// Gives <paramref name="resource"/> (of <paramref name="type"/>) its restored id and rewrites every local reference
    /// it holds (<c>Type/id</c> or <c>Type/id/_history/n</c>, in any <c>reference</c> element, contained resources and
    /// extensions included). Contained (<c>#id</c>), absolute and <c>urn:</c> references stay as they are.
    /// </summary>
    public void Rewrite(string type, JsonObject resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource["id"]?.GetValue<string>() is { } id)
        {
            resource["id"] = Map(type, id);
        }

        if (seed is null)
        {
            return;
        }

        // An explicit stack, not recursion: the stored resource's depth was bounded when it was written, but a restore
        // reads a file, which is no reason to trust it with the call stack.
        var pending = new Stack<JsonNode>();
        pending.Push(resource);
        while (pending.TryPop(out var node))
        {
            if (node is JsonArray array)
            {
                foreach (var item in array.OfType<JsonNode>())
                {
                    pending.Push(item);
                }

                continue;
            }

            if (node is not JsonObject element)
            {
                continue;
            }

            foreach (var (name, value) in element.ToList())
            {
                if (name == "reference" && value is JsonValue text && text.TryGetValue<string>(out var reference) && Rewritten(reference) is { } mapped)
                {
                    element["reference"] = mapped;
                }
                else if (value is JsonObject or JsonArray)
                {
                    pending.Push(value);
                }
            }
        }
    }

    private string? Rewritten(string reference)
    {
        if (!LocalReference.TryParse(reference, out var type, out var id))
        {
            return null;
        }

        var rest = reference[(type.Length + 1 + id.Length)..];
        return $"{type}/{Map(type, id)}{rest}";
    }
}

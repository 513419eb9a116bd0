using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Access;

/// <summary>
/// A resource's accounts: the intra-project tenants (organisations, clinics, care teams…) it belongs to, which land in
/// its <c>compartments</c> and drive <c>_compartment</c> searches and policy criteria such as
/// <c>Patient?_compartment=%organization</c>. R4 has no element for them, so each is a <c>meta</c> extension
/// (<see cref="ExtensionUrl"/>) with a <c>valueReference</c>; Medplum's <c>meta.accounts</c> and <c>meta.account</c>
/// are accepted on input and turned into these extensions.
/// </summary>
public static class Accounts
{
    /// <summary>The meta extension that holds one account.</summary>
    public const string ExtensionUrl = "https://enclave.dev/fhir/StructureDefinition/account";

    /// <summary>The accounts of <paramref name="resource"/> (<c>Type/id</c>), in order, without repeats.</summary>
    public static List<string> Of(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.Meta is not { Extension.Count: > 0 } meta)
        {
            return [];
        }

        // A loop rather than LINQ: this runs on every policy decision from a resource.
        var accounts = new List<string>();
        foreach (var extension in meta.Extension)
        {
            if (extension.Url == ExtensionUrl && extension.Value is ResourceReference { Reference: { } account } && !accounts.Contains(account, StringComparer.Ordinal))
            {
                accounts.Add(account);
            }
        }

        return accounts;
    }

    /// <summary>Makes <paramref name="accounts"/> the accounts of <paramref name="resource"/>.</summary>
    public static void Set(Resource resource, IEnumerable<string> accounts)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(accounts);
        var wanted = accounts.Distinct(StringComparer.Ordinal).ToList();
        if (resource.Meta is null && wanted.Count == 0)
        {
            return;
        }

        resource.Meta ??= new Meta();
        resource.Meta.Extension.RemoveAll(e => e.Url == ExtensionUrl);
        resource.Meta.Extension.AddRange(wanted.Select(a => new Extension(ExtensionUrl, new ResourceReference(a))));
    }

    /// <summary>Rewrites Medplum's <c>meta.accounts</c> (and the older <c>meta.account</c>) into account extensions.</summary>
    public static void FromMedplum(JsonObject resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource["meta"] is not JsonObject meta || (meta["accounts"] is null && meta["account"] is null))
        {
            return;
        }

        var references = (meta["accounts"] as JsonArray ?? []).Append(meta["account"]).OfType<JsonObject>().Select(r => r["reference"]?.GetValue<string>()).OfType<string>().ToList();
        meta.Remove("accounts");
        meta.Remove("account");
        var extensions = meta["extension"] as JsonArray ?? (JsonArray)(meta["extension"] = new JsonArray());
        foreach (var reference in references.Distinct(StringComparer.Ordinal))
        {
            extensions.Add(new JsonObject { ["url"] = ExtensionUrl, ["valueReference"] = new JsonObject { ["reference"] = reference } });
        }
    }
}

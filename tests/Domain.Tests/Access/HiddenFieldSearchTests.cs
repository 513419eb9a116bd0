using Enclave.Domain.Access;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification;
using TenancyReference = Enclave.Domain.Tenancy.Reference;

namespace Enclave.Domain.Tests.Access;

/// <summary>
/// A search, sort or include by a parameter that reaches a hidden field is refused, decided on element definitions:
/// generated from <see cref="ModelInfo.SearchParameters"/> for the common types, every hidden field the parameter's
/// expression reaches (each reached path, its parents, a child, and each spelling of a choice element) must refuse.
/// </summary>
public sealed class HiddenFieldSearchTests
{
    private static readonly string[] s_types =
    [
        "Patient", "Observation", "Condition", "Encounter", "Practitioner", "Organization",
        "MedicationRequest", "DiagnosticReport", "Procedure", "AllergyIntolerance",
    ];

    private static readonly Hl7.Fhir.Introspection.ModelInspector s_model = ModelInfo.ModelInspector;

    /// <summary>Every (type, parameter) of the common types that a client can search by.</summary>
    public static TheoryData<string, string> Parameters()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in s_types)
        {
            foreach (var parameter in SearchParameters.For(type).Values.Where(p => p.Type is not SearchParamType.Special).OrderBy(p => p.Code, StringComparer.Ordinal))
            {
                data.Add(type, parameter.Code);
            }
        }

        return data;
    }

    private static EffectivePolicy Hiding(string type, params string[] fields)
    {
        var membership = new ProjectMembership
        {
            Id = "m1",
            Project = TenancyReference.To("Project", "p"),
            User = TenancyReference.To("User", "u1"),
            Access = [new MembershipAccess(TenancyReference.To("AccessPolicy", "hide"), [])],
        };
        var policy = new AccessPolicy { Resource = [new AccessPolicyRule { ResourceType = type, HiddenFields = fields }] };
        return EffectivePolicy.For(membership, _ => policy);
    }

    private static SearchRequest Search(string type, string code) =>
        new(type, [new SearchCriterion(code, SearchParameters.For(type)[code].Type, null, ["x"])], 20, []);

    [Theory]
    [MemberData(nameof(Parameters))]
    public void Every_parameter_reaches_elements_of_its_type(string type, string code)
    {
        var reached = SearchParameterPaths.Reached(type, code);

        Assert.NotEmpty(reached);
        // The whole resource is only what a construct the analysis cannot follow reaches (it would refuse every hidden field).
        Assert.DoesNotContain(string.Empty, reached);
        Assert.All(reached, path => Assert.True(Resolves(type, path), $"{type}.{code} reaches '{path}', which is not an element of {type}."));
    }

    /// <summary>
    /// An oracle independent of the analysis: Firely's own <c>SearchParamDefinition.Path</c> lists, per parameter, the
    /// element paths it reads (<c>Observation.valueQuantity</c>). Hiding any of them, as a policy author would write
    /// it, must refuse the search.
    /// </summary>
    [Theory]
    [MemberData(nameof(Parameters))]
    public void Hiding_an_element_Firely_lists_for_the_parameter_refuses_it(string type, string code)
    {
        var definition = ModelInfo.SearchParameters.First(p => p.Resource == type && p.Name == code);
        var fields = (definition.Path ?? [])
            .Where(path => path.StartsWith(type + ".", StringComparison.Ordinal))
            .Select(path => System.Text.RegularExpressions.Regex.Replace(path[(type.Length + 1)..], @"\[(?!x\])[^\]]*\]", string.Empty))
            .Where(field => FieldMask.IsPath(field) && FieldMask.Exists(type, field))
            .Distinct(StringComparer.Ordinal)
            .ToList();

        Assert.True(fields.Count > 0 || definition.Path is not { Length: > 0 }, $"none of Firely's paths for {type}.{code} is a field: {string.Join(", ", definition.Path ?? [])}");
        foreach (var field in fields)
        {
            Assert.Contains(field, Hiding(type, field).HiddenFieldSearched(Search(type, code)) ?? $"{type}?{code} was not refused with {field} hidden");
        }
    }

    [Theory]
    [MemberData(nameof(Parameters))]
    public void A_search_sort_or_include_through_a_hidden_field_is_refused(string type, string code)
    {
        var parameter = SearchParameters.For(type)[code];
        foreach (var field in SearchParameterPaths.Reached(type, code).SelectMany(path => HiddenForms(type, path)).Distinct(StringComparer.Ordinal))
        {
            var policy = Hiding(type, field);

            Assert.Contains(field, policy.HiddenFieldSearched(Search(type, code)) ?? $"{type}?{code} was not refused with {field} hidden");
            if (parameter.Type is not SearchParamType.Composite)
            {
                var sorted = new SearchRequest(type, [], 20, []) { Sort = [new SortKey(code, false)] };
                Assert.Contains(field, policy.HiddenFieldSearched(sorted) ?? $"{type}?_sort={code} was not refused with {field} hidden");
            }

            if (parameter.Type is SearchParamType.Reference)
            {
                var included = new SearchRequest(type, [], 20, []) { Includes = [new SearchInclude(type, code, null, false)] };
                Assert.Contains(field, policy.HiddenFieldSearched(included) ?? $"{type}?_include={type}:{code} was not refused with {field} hidden");
                var revIncluded = new SearchRequest("Organization", [], 20, []) { RevIncludes = [new SearchInclude(type, code, null, false)] };
                Assert.Contains(field, policy.HiddenFieldSearched(revIncluded) ?? $"_revinclude={type}:{code} was not refused with {field} hidden");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Parameters))]
    public void Hiding_what_no_parameter_looks_at_refuses_nothing(string type, string code)
    {
        // No R4 search parameter of these types reads the narrative, the rules or the language of a resource.
        var policy = Hiding(type, "text", "text.div", "implicitRules", "language", "modifierExtension");

        Assert.Null(policy.HiddenFieldSearched(Search(type, code)));
    }

    [Theory]
    [InlineData("Observation", "value-quantity", "valueQuantity.value")]
    [InlineData("Observation", "value-quantity", "value[x]")]
    [InlineData("Observation", "value-quantity", "value")]
    [InlineData("Observation", "value-string", "valueString")]
    [InlineData("Observation", "code-value-quantity", "valueQuantity.value")]
    [InlineData("Observation", "component-value-quantity", "component.valueQuantity")]
    [InlineData("Patient", "death-date", "deceasedDateTime")]
    [InlineData("Patient", "deceased", "deceasedDateTime")]
    [InlineData("Patient", "phone", "telecom.value")]
    [InlineData("Patient", "email", "telecom.value")]
    [InlineData("Patient", "telecom", "telecom.value")]
    [InlineData("Patient", "family", "name")]
    [InlineData("Patient", "name", "name.family")]
    [InlineData("Patient", "general-practitioner", "generalPractitioner")]
    [InlineData("Condition", "onset-date", "onsetDateTime")]
    [InlineData("Patient", "_lastUpdated", "meta.lastUpdated")]
    [InlineData("Patient", "_tag", "meta")]
    public void A_search_that_names_a_hidden_field_differently_is_refused(string type, string code, string field)
    {
        var request = new SearchRequest(type, [new SearchCriterion(code, SearchParamType.String, null, ["137"])], 20, []);

        Assert.Contains(field, Hiding(type, field).HiddenFieldSearched(request) ?? "not refused");
    }

    [Theory]
    [InlineData("Patient", "name", "photo")]
    [InlineData("Patient", "family", "name.given")]
    [InlineData("Patient", "birthdate", "deceasedDateTime")]
    [InlineData("Observation", "value-quantity", "valueString")]
    [InlineData("Observation", "value-string", "valueQuantity.value")]
    [InlineData("Observation", "code", "valueQuantity")]
    [InlineData("Observation", "subject", "note")]
    [InlineData("Condition", "onset-date", "onsetString")]
    public void A_search_that_does_not_reach_the_hidden_field_runs(string type, string code, string field)
    {
        var request = new SearchRequest(type, [new SearchCriterion(code, SearchParamType.String, null, ["x"])], 20, []);

        Assert.Null(Hiding(type, field).HiddenFieldSearched(request));
    }

    [Fact]
    public void A_chained_search_through_a_hidden_field_of_the_target_is_refused()
    {
        var chain = new SearchRequest("Patient", [new SearchCriterion("phone", SearchParamType.Token, null, ["555"])], 20, []);
        var request = new SearchRequest("Observation", [new SearchCriterion("subject", SearchParamType.Reference, "Patient", []) { Chain = chain }], 20, []);

        Assert.Contains("telecom.value", Hiding("Patient", "telecom.value").HiddenFieldSearched(request) ?? "not refused");
    }

    [Fact]
    public void A_reverse_chain_through_a_hidden_reference_is_refused()
    {
        var inner = new SearchRequest("Observation", [new SearchCriterion("code", SearchParamType.Token, null, ["x"])], 20, []);
        var request = new SearchRequest("Patient", [new SearchCriterion("_has", SearchParamType.Special, "Observation:subject", []) { Chain = inner }], 20, []);

        Assert.Contains("subject", Hiding("Observation", "subject").HiddenFieldSearched(request) ?? "not refused");
        Assert.Null(Hiding("Observation", "note").HiddenFieldSearched(request));
    }

    /// <summary>
    /// The spellings of hidden fields that reach what <paramref name="path"/> reaches: the path, each parent, a child, and
    /// for each choice step its <c>[x]</c> form, its bare name and each typed name it may take.
    /// </summary>
    private static IEnumerable<string> HiddenForms(string type, string path)
    {
        var steps = path.Split('.');
        var forms = new List<List<string>>();
        var definition = s_model.Provide(type);
        foreach (var step in steps)
        {
            var element = definition?.GetElements().FirstOrDefault(e => e.ElementName == step)
                ?? definition?.GetElements().FirstOrDefault(e => e.IsChoiceElement && (step == e.ElementName + "[x]" || (step.StartsWith(e.ElementName, StringComparison.Ordinal) && step.Length > e.ElementName.Length && char.IsUpper(step[e.ElementName.Length]))));
            if (element is { IsChoiceElement: true })
            {
                var types = element.Type.OfType<IStructureDefinitionReference>().Select(t => t.ReferredType).ToList();
                var chosen = types.FirstOrDefault(t => step == element.ElementName + Capitalised(t));
                forms.Add([element.ElementName, element.ElementName + "[x]", .. (chosen is null ? types : [chosen]).Select(t => element.ElementName + Capitalised(t))]);
                definition = chosen is null ? null : s_model.Provide(chosen);
            }
            else
            {
                forms.Add([step]);
                definition = element?.Type.FirstOrDefault() switch
                {
                    IStructureDefinitionSummary complex => complex,
                    IStructureDefinitionReference reference => s_model.Provide(reference.ReferredType),
                    _ => null,
                };
            }
        }

        for (var length = 1; length <= forms.Count; length++)
        {
            foreach (var prefix in Combinations(forms.Take(length).ToList()))
            {
                yield return prefix;
            }
        }

        foreach (var full in Combinations(forms))
        {
            yield return full + ".extension";
        }
    }

    private static IEnumerable<string> Combinations(List<List<string>> forms) =>
        forms.Aggregate((IEnumerable<string>)[string.Empty], (paths, step) => paths.SelectMany(p => step.Select(s => p.Length == 0 ? s : $"{p}.{s}")));

    /// <summary>Whether every step of <paramref name="path"/> is an element (typed choice names included) of <paramref name="type"/>.</summary>
    private static bool Resolves(string type, string path)
    {
        var definition = s_model.Provide(type);
        foreach (var step in path.Split('.'))
        {
            if (definition is null)
            {
                return true;
            }

            var element = definition.GetElements().FirstOrDefault(e => e.ElementName == step || (e.IsChoiceElement && step.StartsWith(e.ElementName, StringComparison.Ordinal)));
            if (element is null)
            {
                return false;
            }

            var chosen = element.IsChoiceElement ? element.Type.OfType<IStructureDefinitionReference>().FirstOrDefault(t => step == element.ElementName + Capitalised(t.ReferredType)) : null;
            definition = element.IsChoiceElement
                ? chosen is null ? null : s_model.Provide(chosen.ReferredType)
                : element.Type.FirstOrDefault() switch
                {
                    IStructureDefinitionSummary complex => complex,
                    IStructureDefinitionReference reference => s_model.Provide(reference.ReferredType),
                    _ => null,
                };
        }

        return true;
    }

    private static string Capitalised(string type) => char.ToUpperInvariant(type[0]) + type[1..];
}

using System.Collections;
using Enclave.Domain.Search;
using Hl7.Fhir.ElementModel;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Search;

/// <summary>
/// The POCO walk of <see cref="CompiledPath"/> against Firely's FHIRPath engine: for every resource type and every
/// search parameter, over randomly filled resources, both select the same elements.
/// </summary>
public sealed class CompiledPathTests
{
    private static readonly string[] s_references =
        ["Patient/p1", "Organization/o1", "Practitioner/d1", "Group/g1", "Patient/p2/_history/3", "https://elsewhere.example/fhir/Patient/9", "urn:uuid:4f1c", "#c1", "Patient"];

    [Fact]
    public void Every_search_parameter_selects_what_FHIRPath_selects()
    {
        var random = new Random(20261201);
        var compared = 0;
        foreach (var type in ModelInfo.SupportedResources)
        {
            for (var n = 0; n < 8; n++)
            {
                var resource = (Resource)Fill(ModelInfo.GetTypeForFhirType(type)!, random, depth: 0);
                foreach (var parameter in SearchParameters.For(type).Values.Where(p => p.Type != SearchParamType.Special))
                {
                    var expected = resource.Select(parameter.Expression, Context()).OfType<Base>().ToList();
                    var actual = CompiledPath.Select(resource, parameter.Expression).ToList();
                    // The same instances, in any order (a value FHIRPath computes, such as a boolean, is a new instance each time).
                    var same = expected.Count == actual.Count && expected.All(e => actual.Any(a => ReferenceEquals(a, e) || (!CompiledPath.IsCompiled(parameter.Expression) && a.IsExactly(e))));
                    Assert.True(same, $"{type}.{parameter.Code} ({parameter.Expression}): FHIRPath {expected.Count}, compiled {actual.Count}");
                    compared += expected.Count;
                }
            }
        }

        Assert.True(compared > 5000, $"Only {compared} selected values were compared: the generator fills too little.");
    }

    [Fact]
    public void Nearly_every_search_parameter_runs_over_the_POCO()
    {
        var parameters = ModelInfo.SupportedResources.SelectMany(t => SearchParameters.For(t).Values).Where(p => p.Type != SearchParamType.Special).ToList();
        var compiled = parameters.Count(p => CompiledPath.IsCompiled(p.Expression));
        Assert.True(compiled >= parameters.Count * 9 / 10, $"{compiled} of {parameters.Count} compiled; not compiled: "
            + string.Join(", ", parameters.Where(p => !CompiledPath.IsCompiled(p.Expression)).Select(p => p.Expression).Distinct().Take(20)));
    }

    [Fact]
    public void A_contained_reference_is_answered_by_FHIRPath()
    {
        var observation = new Observation
        {
            Contained = [new Patient { Id = "c1" }],
            Subject = new ResourceReference("#c1"),
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("urn:s", "c"),
        };
        var expression = SearchParameters.For("Observation")["patient"].Expression;

        Assert.Equal(observation.Select(expression, Context()).OfType<Base>(), CompiledPath.Select(observation, expression));
    }

    private static FhirEvaluationContext Context() => new() { ElementResolver = ResolveAsStub };

    /// <summary>The indexer's resolver: an empty resource of the type a reference names.</summary>
    private static PocoNode ResolveAsStub(string url)
    {
        var parts = url.Split('/');
        var type = parts.Length >= 4 && parts[^2] == "_history" ? ModelInfo.GetTypeForFhirType(parts[^4])
            : parts.Length >= 2 ? ModelInfo.GetTypeForFhirType(parts[^2]) : null;
        return type is null ? null! : ((Base)Activator.CreateInstance(type)!).ToPocoNode();
    }

    /// <summary>An instance of <paramref name="type"/> with about half its elements filled, three levels deep at most.</summary>
    private static Base Fill(Type type, Random random, int depth)
    {
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(type)!;
        var instance = (Base)Activator.CreateInstance(type)!;
        if (instance is PrimitiveType primitive)
        {
            return Primitive(primitive, random);
        }

        if (instance is ResourceReference reference)
        {
            reference.Reference = s_references[random.Next(s_references.Length)];
            return reference;
        }

        foreach (var property in mapping.PropertyMappings)
        {
            if (property.Name is "id" or "extension" or "modifierExtension" or "contained" or "text" || random.Next(depth + 2) != 0 || depth > 3)
            {
                continue;
            }

            var choices = property.FhirType.Where(t => !t.IsAbstract && typeof(Base).IsAssignableFrom(t)).ToArray();
            var implementing = !property.ImplementingType.IsAbstract ? property.ImplementingType : choices.Length > 0 ? choices[random.Next(choices.Length)] : null;
            if (implementing is null || typeof(Resource).IsAssignableFrom(implementing) || implementing == typeof(XHtml))
            {
                continue;
            }

            var value = Fill(implementing, random, depth + 1);
            if (property.IsCollection)
            {
                var list = (IList)property.NativeProperty!.GetValue(instance)!;
                list.Add(value);
                if (random.Next(2) == 0)
                {
                    list.Add(Fill(implementing, random, depth + 1));
                }
            }
            else
            {
                property.NativeProperty!.SetValue(instance, value);
            }
        }

        return instance;
    }

    private static PrimitiveType Primitive(PrimitiveType primitive, Random random)
    {
        var valueProperty = primitive.GetType().GetProperties().First(p => p.Name == "Value" && p.DeclaringType == primitive.GetType());
        var valueType = Nullable.GetUnderlyingType(valueProperty.PropertyType) ?? valueProperty.PropertyType;
        object? value = valueType switch
        {
            var t when t.IsEnum => Enum.GetValues(t).GetValue(random.Next(Enum.GetValues(t).Length)),
            var t when t == typeof(bool) => random.Next(2) == 0,
            var t when t == typeof(int) => random.Next(1, 100),
            var t when t == typeof(long) => (long)random.Next(1, 100),
            var t when t == typeof(decimal) => random.Next(1, 1000) / 10m,
            var t when t == typeof(byte[]) => new byte[] { 1, 2, 3 },
            var t when t == typeof(DateTimeOffset) => new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero),
            _ => primitive switch
            {
                FhirDateTime or Date => "2024-03-01",
                Time => "10:00:00",
                FhirUri or Canonical or Oid or Uuid or FhirUrl => s_references[random.Next(s_references.Length)] is var r && r.Contains(':', StringComparison.Ordinal) ? r : "http://example.org/" + r,
                _ => $"v{random.Next(5)}",
            },
        };
        valueProperty.SetValue(primitive, value);
        return primitive;
    }
}

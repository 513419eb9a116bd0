using System.Collections.Concurrent;
using System.Collections.Immutable;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using Expression = Hl7.FhirPath.Expressions.Expression;

namespace Enclave.Domain.Search;

/// <summary>
/// The element paths a search parameter can reach, worked out on FHIR's element definitions rather than on the text
/// of its FHIRPath expression: the expression is parsed into a tree and walked over the type model, so
/// <c>(Observation.value as Quantity)</c>, <c>Observation.value.ofType(Quantity)</c> and a hidden
/// <c>valueQuantity.value</c> all meet at the choice element <c>value[x]</c> typed Quantity; <c>where(…)</c> keeps its
/// focus (and reaches what its condition looks at); nothing after <c>resolve()</c> belongs to the searched type.
/// Whatever the walk cannot follow reaches the whole resource, so an unknown construct refuses rather than leaks
/// (fail closed). Paths are cached per (type, parameter).
/// </summary>
public static class SearchParameterPaths
{
    private static readonly FhirPathCompiler s_compiler = new();
    private static readonly IStructureDefinitionSummaryProvider s_model = ModelInfo.ModelInspector;
    private static readonly ConcurrentDictionary<(string Type, string Code), ImmutableArray<ElementPath>> s_reached = new();
    private static readonly ConcurrentDictionary<(string Type, string Field), ElementPath> s_fields = new();

    /// <summary>The fixed paths of the common parameters, which R4 defines on Resource rather than on each type.</summary>
    private static readonly Dictionary<string, string> s_common = new(StringComparer.Ordinal)
    {
        ["_id"] = "id",
        ["_lastUpdated"] = "meta.lastUpdated",
        ["_tag"] = "meta.tag",
        ["_security"] = "meta.security",
        ["_profile"] = "meta.profile",
        ["_source"] = "meta.source",
    };

    /// <summary>
    /// The element paths below the resource that <paramref name="code"/> on <paramref name="resourceType"/> reaches, in
    /// normal form (<c>valueQuantity</c>, <c>deceased[x]</c>, <c>telecom</c>); empty for an unknown parameter; an empty
    /// string is the whole resource.
    /// </summary>
    public static IReadOnlyList<string> Reached(string resourceType, string code) => [.. ReachedPaths(resourceType, code).Select(p => p.ToString())];

    /// <summary>
    /// Whether searching, sorting or including by <paramref name="code"/> on <paramref name="resourceType"/> looks at
    /// <paramref name="field"/> (a hidden-field path such as <c>valueQuantity.value</c>, <c>deceased[x]</c>,
    /// <c>telecom.value</c>): some reached path lies inside the field, or the field inside it.
    /// </summary>
    public static bool Touches(string resourceType, string code, string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var hidden = s_fields.GetOrAdd((resourceType, field), k => ElementPath.Parse(k.Type, k.Field));
        return ReachedPaths(resourceType, code).Any(path => path.Overlaps(hidden));
    }

    private static ImmutableArray<ElementPath> ReachedPaths(string resourceType, string code) =>
        s_reached.GetOrAdd((resourceType, code), static k => Compute(k.Type, k.Code));

    private static ImmutableArray<ElementPath> Compute(string type, string code)
    {
        if (s_common.TryGetValue(code, out var fixedPath))
        {
            return [ElementPath.Parse(type, fixedPath)];
        }

        if (code == "_compartment")
        {
            // Compartments come from the patient-compartment references and the accounts kept in meta.
            var links = PatientCompartment.Parameters.TryGetValue(type, out var codes) ? codes : [];
            return [ElementPath.Parse(type, "meta"), .. links.Where(c => c != code).SelectMany(c => ReachedPaths(type, c))];
        }

        if (!SearchParameters.For(type).TryGetValue(code, out var parameter))
        {
            return [];
        }

        var reached = new HashSet<ElementPath>();
        try
        {
            var walker = new Walker(type, reached);
            var results = walker.Eval(s_compiler.Parse(parameter.Expression), [ElementPath.Root(type)]);
            if (parameter.Components.Count == 0)
            {
                reached.UnionWith(results);
            }
            else
            {
                // A composite's own expression only says where its components start.
                foreach (var component in parameter.Components)
                {
                    reached.UnionWith(walker.Eval(s_compiler.Parse(component.Expression), results));
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
        {
            reached.Add(ElementPath.Root(type));
        }

        return [.. reached];
    }

    /// <summary>Walks an expression tree over element paths: what each node yields, and everything it looks at.</summary>
    private sealed class Walker(string resourceType, HashSet<ElementPath> reached)
    {
        /// <summary>Functions whose result is (part of) their focus.</summary>
        private static readonly HashSet<string> s_keepFocus = new(StringComparer.Ordinal)
            { "where", "first", "last", "tail", "single", "distinct", "take", "skip", "trace", "exclude", "intersect" };

        public List<ElementPath> Eval(Expression expression, List<ElementPath> focus)
        {
            switch (expression)
            {
                case BracketExpression bracket:
                    return Eval(bracket.Operand, focus);
                case AxisExpression axis:
                    return axis.AxisName is "this" or "that" ? focus : [];
                case VariableRefExpression variable:
                    return variable.Name is "resource" or "context" or "rootResource" ? [ElementPath.Root(resourceType)] : [];
                case ConstantExpression:
                    return [];
                case ChildExpression child:
                    return [.. Eval(child.Focus, focus).Select(p => p.Child(child.ChildName, resourceType)).OfType<ElementPath>()];
                case IndexerExpression indexer:
                    var indexed = Eval(indexer.Focus, focus);
                    Look(Eval(indexer.Index, focus));
                    return indexed;
                case BinaryExpression binary:
                    return Binary(binary, focus);
                case UnaryExpression unary:
                    Look(unary.Arguments.SelectMany(a => Eval(a, focus)));
                    return [];
                case FunctionCallExpression call:
                    return Call(call, focus);
                default:
                    // Not understood: it may look at anything (fail closed).
                    Look([ElementPath.Root(resourceType)]);
                    return [];
            }
        }

        private List<ElementPath> Binary(BinaryExpression binary, List<ElementPath> focus)
        {
            // The operands are the arguments (BinaryExpression.Left is the focus, not the left operand).
            if (binary.Arguments.ToList() is not [var leftOperand, var right])
            {
                Look([ElementPath.Root(resourceType)]);
                return [];
            }

            var left = Eval(leftOperand, focus);
            switch (binary.Op)
            {
                case "|":
                    return [.. left, .. Eval(right, focus)];
                case "as":
                    return Typed(left, right);
                case "is":
                    Look(Typed(left, right));
                    return [];
                default:
                    Look(left);
                    Look(Eval(right, focus));
                    return [];
            }
        }

        private List<ElementPath> Call(FunctionCallExpression call, List<ElementPath> focus)
        {
            var input = Eval(call.Focus, focus);
            var arguments = call.Arguments.ToList();
            switch (call.FunctionName)
            {
                case "as" or "ofType" when arguments.Count == 1:
                    return Typed(input, arguments[0]);
                case "is" when arguments.Count == 1:
                    Look(Typed(input, arguments[0]));
                    return [];
                case "select" or "repeat":
                    return [.. arguments.SelectMany(a => Eval(a, input))];
                case "extension":
                    return [.. input.Select(p => p.Child("extension", resourceType)).OfType<ElementPath>()];
                case "resolve":
                    // What the reference points at is another resource; only the reference itself is of this type.
                    Look(input);
                    return [];
                case var name when s_keepFocus.Contains(name):
                    foreach (var argument in arguments)
                    {
                        Look(Eval(argument, input));
                    }

                    return input;
                default:
                    // exists(), empty(), count(), comparisons, string functions…: they look at their focus and arguments.
                    Look(input);
                    foreach (var argument in arguments)
                    {
                        Look(Eval(argument, input));
                    }

                    return [];
            }
        }

        private static List<ElementPath> Typed(List<ElementPath> paths, Expression type) =>
            type is ConstantExpression { Value: string name } ? [.. paths.Select(p => p.As(name))] : paths;

        private void Look(IEnumerable<ElementPath> paths) => reached.UnionWith(paths);
    }

    /// <summary>One step of a path: an element name and, for a choice element, the type chosen (null: any).</summary>
    private readonly record struct Step(string Name, bool IsChoice, string? Choice)
    {
        public bool Matches(Step other) =>
            Name == other.Name && (!IsChoice || !other.IsChoice || Choice is null || other.Choice is null || Choice == other.Choice);

        public override string ToString() => !IsChoice ? Name : Choice is null ? Name + "[x]" : Name + Choice;
    }

    /// <summary>A path below a resource, with the type definition of where it ends (null when not known).</summary>
    private sealed class ElementPath : IEquatable<ElementPath>
    {
        private ElementPath(ImmutableArray<Step> steps, IStructureDefinitionSummary? type, IReadOnlyList<string> choices)
        {
            Steps = steps;
            Type = type;
            Choices = choices;
        }

        public ImmutableArray<Step> Steps { get; }

        private IStructureDefinitionSummary? Type { get; }

        /// <summary>For a path ending at an untyped choice element, the types it may take.</summary>
        private IReadOnlyList<string> Choices { get; }

        public static ElementPath Root(string resourceType) => new([], s_model.Provide(resourceType), []);

        /// <summary>A hidden-field path resolved on the definitions of <paramref name="resourceType"/>; unknown steps compare by name.</summary>
        public static ElementPath Parse(string resourceType, string field)
        {
            var path = Root(resourceType);
            foreach (var name in field.Split('.'))
            {
                path = name.EndsWith("[x]", StringComparison.Ordinal)
                    ? path.Child(name[..^3], resourceType) ?? path.Unknown(new Step(name[..^3], true, null))
                    : path.Child(name, resourceType) ?? path.ChoiceByName(name) ?? path.Unknown(new Step(name, false, null));
            }

            return path;
        }

        /// <summary>The child element <paramref name="name"/>; a leading resource type name is the resource itself.</summary>
        public ElementPath? Child(string name, string resourceType)
        {
            if (Steps.IsEmpty && (name == resourceType || name is "Resource" or "DomainResource"))
            {
                return this;
            }

            if (Type is null)
            {
                return Unknown(new Step(name, false, null));
            }

            if (Type.GetElements().FirstOrDefault(e => e.ElementName == name) is not { } element)
            {
                return null;
            }

            var types = element.Type;
            if (element.IsChoiceElement)
            {
                var choices = types.OfType<IStructureDefinitionReference>().Select(t => t.ReferredType).ToList();
                return new ElementPath(Steps.Add(new Step(name, true, null)), null, choices);
            }

            return new ElementPath(Steps.Add(new Step(name, false, null)), Definition(types.FirstOrDefault()), []);
        }

        /// <summary><c>valueQuantity</c>: the choice element <c>value</c> taken as Quantity.</summary>
        private ElementPath? ChoiceByName(string name)
        {
            if (Type is null)
            {
                return null;
            }

            foreach (var element in Type.GetElements().Where(e => e.IsChoiceElement && name.StartsWith(e.ElementName, StringComparison.Ordinal)))
            {
                var suffix = name[element.ElementName.Length..];
                if (element.Type.OfType<IStructureDefinitionReference>().FirstOrDefault(t => Capitalised(t.ReferredType) == suffix) is { } chosen)
                {
                    return new ElementPath(Steps.Add(new Step(element.ElementName, true, suffix)), s_model.Provide(chosen.ReferredType), []);
                }
            }

            return null;
        }

        /// <summary>This path seen as <paramref name="type"/>: a choice element takes that type; anything else is only filtered.</summary>
        public ElementPath As(string type)
        {
            type = type.StartsWith("FHIR.", StringComparison.Ordinal) ? type[5..] : type;
            if (Steps.IsEmpty || Steps[^1] is not { IsChoice: true, Choice: null } last)
            {
                return this;
            }

            var chosen = Choices.FirstOrDefault(c => string.Equals(c, type, StringComparison.OrdinalIgnoreCase)) ?? type;
            return new ElementPath(Steps.SetItem(Steps.Length - 1, last with { Choice = Capitalised(chosen) }), s_model.Provide(chosen), []);
        }

        private ElementPath Unknown(Step step) => new(Steps.Add(step), null, []);

        /// <summary>Whether one path lies inside the other (or they are the same): searching one reveals something of the other.</summary>
        public bool Overlaps(ElementPath other)
        {
            var shared = Math.Min(Steps.Length, other.Steps.Length);
            for (var i = 0; i < shared; i++)
            {
                if (!Steps[i].Matches(other.Steps[i]))
                {
                    return false;
                }
            }

            return true;
        }

        private static IStructureDefinitionSummary? Definition(ITypeSerializationInfo? type) => type switch
        {
            IStructureDefinitionSummary complex => complex,
            IStructureDefinitionReference reference => s_model.Provide(reference.ReferredType),
            _ => null,
        };

        private static string Capitalised(string type) => type.Length == 0 ? type : char.ToUpperInvariant(type[0]) + type[1..];

        public bool Equals(ElementPath? other) => other is not null && Steps.SequenceEqual(other.Steps);

        public override bool Equals(object? obj) => Equals(obj as ElementPath);

        public override int GetHashCode() => Steps.Aggregate(0, (hash, step) => HashCode.Combine(hash, step));

        public override string ToString() => string.Join('.', Steps);
    }
}

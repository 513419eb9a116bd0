using System.Collections;
using System.Collections.Concurrent;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using Expression = Hl7.FhirPath.Expressions.Expression;

namespace Enclave.Domain.Search;

/// <summary>
/// The FHIRPath of a search parameter run straight over the POCO, for the forms R4's search parameters are written
/// in: a type name, child steps, <c>|</c>, brackets, <c>as</c>/<c>ofType</c>, and <c>where(resolve() is T)</c>. Each
/// step reads the element through the POCO's generated <see cref="Base.TryGetValue"/>, as Firely's own navigation
/// does, so the values are the same instances FHIRPath would give (a union drops values equal to one already there,
/// as FHIRPath's does). Any other expression is evaluated by Firely's FHIRPath engine.
/// </summary>
public static class CompiledPath
{
    private static readonly FhirPathCompiler s_compiler = new();
    private static readonly ConcurrentDictionary<string, Sink?> s_compiled = new(StringComparer.Ordinal);

    /// <summary>The end of every compiled expression: the value is one of its results.</summary>
    private static readonly Sink s_collect = (value, output) => output.Add(value);

    /// <summary>
    /// Takes one value a node of the expression yields and passes what the rest of the expression makes of it on to
    /// <c>output</c>: values are pushed through the steps, so a decision allocates no enumerator per step.
    /// </summary>
    private delegate void Sink(Base value, List<Base> output);

    /// <summary>The values <paramref name="expression"/> selects from <paramref name="focus"/>.</summary>
    public static IEnumerable<Base> Select(Base focus, string expression)
    {
        ArgumentNullException.ThrowIfNull(focus);
        ArgumentNullException.ThrowIfNull(expression);
        if (s_compiled.GetOrAdd(expression, Compile) is { } step)
        {
            try
            {
                var output = new List<Base>();
                step(focus, output);
                return output;
            }
            catch (InvalidOperationException)
            {
                // A form the POCO walk does not answer for this resource (a contained reference): FHIRPath does.
            }
        }

        return focus.Select(expression, new FhirEvaluationContext { ElementResolver = ResolveAsStub }).OfType<Base>();
    }

    /// <summary>Whether <paramref name="expression"/> runs over the POCO (tests compare the two evaluations).</summary>
    public static bool IsCompiled(string expression) => s_compiled.GetOrAdd(expression, Compile) is not null;

    private static Sink? Compile(string expression)
    {
        try
        {
            return Compile(s_compiler.Parse(expression), root: true, s_collect);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The sink that runs <paramref name="expression"/> on a value and hands its results to <paramref name="next"/>; null for a form not compiled.</summary>
    private static Sink? Compile(Expression expression, bool root, Sink next) => expression switch
    {
        AxisExpression { AxisName: "that" or "this" } => next,
        BracketExpression bracket => Compile(bracket.Operand, root, next),
        ChildExpression { ChildName: var name } typed when char.IsAsciiLetterUpper(name[0]) =>
            root && typed.Focus is AxisExpression { AxisName: "that" } ? Where(value => value.TypeName == name, next) : null,
        ChildExpression { ChildName: var name } child => Compile(child.Focus, root, (value, output) => Children(value, name, next, output)),
        BinaryExpression { Op: "|" } union when union.Arguments.ToList() is [var left, var right] =>
            Compile(left, root, s_collect) is { } l && Compile(right, root, s_collect) is { } r ? (value, output) => Union(value, l, r, next, output) : null,
        BinaryExpression { Op: "as" } cast when cast.Arguments.ToList() is [var value, ConstantExpression { Value: string type }] =>
            OfType(type) is { } t ? Compile(value, root, Where(t.IsInstanceOfType, next)) : null,
        FunctionCallExpression { FunctionName: "as" or "ofType" } call when call.Arguments.ToList() is [ConstantExpression { Value: string type }] =>
            OfType(type) is { } t ? Compile(call.Focus, root, Where(t.IsInstanceOfType, next)) : null,
        FunctionCallExpression { FunctionName: "where" } call when call.Arguments.ToList() is [var condition] && ResolvesTo(condition) is { } target =>
            Compile(call.Focus, root, Where(b => Resolves(b, target), next)),
        _ => null,
    };

    private static Sink Where(Func<Base, bool> keep, Sink next) => (value, output) =>
    {
        if (keep(value))
        {
            next(value, output);
        }
    };

    /// <summary>Both sides of a <c>|</c> on <paramref name="value"/>, each result once, handed on in order.</summary>
    private static void Union(Base value, Sink left, Sink right, Sink next, List<Base> output)
    {
        var values = new List<Base>();
        left(value, values);
        right(value, values);
        foreach (var kept in Distinct(values))
        {
            next(kept, output);
        }
    }

    /// <summary>A union's values, each once: FHIRPath's <c>|</c> drops values equal to one already there.</summary>
    private static List<Base> Distinct(IEnumerable<Base> values)
    {
        var kept = new List<Base>();
        foreach (var value in values)
        {
            if (!kept.Exists(k => k.IsExactly(value)))
            {
                kept.Add(value);
            }
        }

        return kept;
    }

    /// <summary>The element <paramref name="name"/> of <paramref name="element"/>, handed on: nothing, one value, or each of a list.</summary>
    private static void Children(Base element, string name, Sink next, List<Base> output)
    {
        if (!element.TryGetValue(name, out var value))
        {
            return;
        }

        switch (value)
        {
            case Base one:
                next(one, output);
                break;
            case IList many:
                for (var i = 0; i < many.Count; i++)
                {
                    if (many[i] is Base item)
                    {
                        next(item, output);
                    }
                }

                break;
            default:
                throw new InvalidOperationException($"The element {name} of {element.TypeName} is not a FHIR element.");
        }
    }

    /// <summary>
    /// <c>resolve()</c> in the R4 expressions only asks what type a reference points at
    /// (<c>subject.where(resolve() is Patient)</c>): an empty resource of that type answers it without I/O.
    /// </summary>
    private static PocoNode ResolveAsStub(string url)
    {
        var parts = url.Split('/');
        var type = parts.Length >= 2 ? ModelInfo.GetTypeForFhirType(parts[^2]) : null;
        if (parts.Length >= 4 && parts[^2] == "_history")
        {
            type = ModelInfo.GetTypeForFhirType(parts[^4]);
        }

        return type is null ? null! : ((Base)Activator.CreateInstance(type)!).ToPocoNode();
    }

    private static Type? OfType(string fhirType) => ModelInfo.GetTypeForFhirType(fhirType);

    /// <summary>The type <c>T</c> of a condition <c>resolve() is T</c>, or null for any other condition.</summary>
    private static string? ResolvesTo(Expression condition) =>
        condition is BinaryExpression { Op: "is" } test && test.Arguments.ToList() is [FunctionCallExpression { FunctionName: "resolve" } resolve, ConstantExpression { Value: string type }]
            && resolve.Focus is AxisExpression { AxisName: "that" } && !resolve.Arguments.Any()
            ? type
            : null;

    /// <summary>
    /// Whether the reference <paramref name="element"/> points at a <paramref name="type"/>, read from its URL as the
    /// indexer's resolver reads it (<c>…/Type/id</c> or <c>…/Type/id/_history/v</c>).
    /// </summary>
    private static bool Resolves(Base element, string type)
    {
        var url = element switch
        {
            ResourceReference reference => reference.Reference,
            PrimitiveType primitive => primitive.JsonValue as string,
            _ => null,
        };
        if (url is null)
        {
            return false;
        }

        if (url.StartsWith('#'))
        {
            throw new InvalidOperationException("A contained reference resolves inside the resource.");
        }

        var named = Segment(url, 4, out var versioned) && Segment(url, 2, out var history) && history.SequenceEqual("_history") ? versioned
            : Segment(url, 2, out var plain) ? plain : [];
        return named.SequenceEqual(type) && ModelInfo.GetTypeForFhirType(type) is not null;
    }

    /// <summary>The <paramref name="n"/>th segment from the end (1 is the last) of <paramref name="url"/> split at <c>/</c>, if it has that many.</summary>
    private static bool Segment(ReadOnlySpan<char> url, int n, out ReadOnlySpan<char> segment)
    {
        var end = url.Length;
        for (var i = 1; i < n; i++)
        {
            end = url[..end].LastIndexOf('/');
            if (end < 0)
            {
                segment = default;
                return false;
            }
        }

        segment = url[(url[..end].LastIndexOf('/') + 1)..end];
        return true;
    }
}

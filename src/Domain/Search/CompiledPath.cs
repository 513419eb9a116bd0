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
    private static readonly ConcurrentDictionary<string, Step?> s_compiled = new(StringComparer.Ordinal);

    /// <summary>What one node of the expression yields for its input; <c>root</c> is the resource.</summary>
    private delegate IEnumerable<Base> Step(IEnumerable<Base> input);

    /// <summary>The values <paramref name="expression"/> selects from <paramref name="focus"/>.</summary>
    public static IEnumerable<Base> Select(Base focus, string expression)
    {
        ArgumentNullException.ThrowIfNull(focus);
        ArgumentNullException.ThrowIfNull(expression);
        if (s_compiled.GetOrAdd(expression, Compile) is { } step)
        {
            try
            {
                return [.. step([focus])];
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

    private static Step? Compile(string expression)
    {
        try
        {
            return Compile(s_compiler.Parse(expression), root: true);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static Step? Compile(Expression expression, bool root) => expression switch
    {
        AxisExpression { AxisName: "that" or "this" } => input => input,
        BracketExpression bracket => Compile(bracket.Operand, root),
        ChildExpression { ChildName: var name } typed when char.IsAsciiLetterUpper(name[0]) =>
            root && typed.Focus is AxisExpression { AxisName: "that" } ? input => input.Where(b => b.TypeName == name) : null,
        ChildExpression child => Compile(child.Focus, root) is { } focus ? input => focus(input).SelectMany(b => Children(b, child.ChildName)) : null,
        BinaryExpression { Op: "|" } union when union.Arguments.ToList() is [var left, var right] =>
            Compile(left, root) is { } l && Compile(right, root) is { } r ? input => Distinct(l(input).Concat(r(input))) : null,
        BinaryExpression { Op: "as" } cast when cast.Arguments.ToList() is [var value, ConstantExpression { Value: string type }] =>
            Compile(value, root) is { } v && OfType(type) is { } t ? input => v(input).Where(t.IsInstanceOfType) : null,
        FunctionCallExpression { FunctionName: "as" or "ofType" } call when call.Arguments.ToList() is [ConstantExpression { Value: string type }] =>
            Compile(call.Focus, root) is { } f && OfType(type) is { } t ? input => f(input).Where(t.IsInstanceOfType) : null,
        FunctionCallExpression { FunctionName: "where" } call when call.Arguments.ToList() is [var condition] && ResolvesTo(condition) is { } target =>
            Compile(call.Focus, root) is { } f ? input => f(input).Where(b => Resolves(b, target)) : null,
        _ => null,
    };

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

    /// <summary>The element <paramref name="name"/> of <paramref name="element"/>: nothing, one value, or each of a list.</summary>
    private static IEnumerable<Base> Children(Base element, string name)
    {
        if (!element.TryGetValue(name, out var value))
        {
            return [];
        }

        return value switch
        {
            Base one => [one],
            IEnumerable many => many.OfType<Base>(),
            _ => throw new InvalidOperationException($"The element {name} of {element.TypeName} is not a FHIR element."),
        };
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

        var parts = url.Split('/');
        var named = parts.Length >= 4 && parts[^2] == "_history" ? parts[^4] : parts.Length >= 2 ? parts[^2] : null;
        return named == type && ModelInfo.GetTypeForFhirType(type) is not null;
    }
}

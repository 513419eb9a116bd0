using Hl7.FhirPath;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The one way Enclave compiles FHIRPath from a client (FHIRPath Patch paths, policy write constraints): bounded in
/// length and nesting before Firely's recursive-descent parser sees it, so no expression can overflow the stack.
/// </summary>
public static class FhirPathExpressions
{
    /// <summary>The longest expression accepted, in characters.</summary>
    public const int MaxLength = 4096;

    /// <summary>The deepest nesting of parentheses, brackets and braces accepted.</summary>
    public const int MaxNesting = 32;

    private static readonly FhirPathCompiler s_compiler = new();

    /// <summary>
    /// Compiles <paramref name="expression"/>; false with the reason when it is too large, too deep or not FHIRPath, worded to
    /// follow what the expression is (<c>$"the path {error}"</c>).
    /// </summary>
    public static bool TryCompile(string? expression, out CompiledExpression? compiled, out string? error)
    {
        compiled = null;
        error = Bounds(expression);
        if (error is not null)
        {
            return false;
        }

        try
        {
            compiled = s_compiler.Compile(expression!);
            return true;
        }
        catch (FormatException ex)
        {
            error = $"'{Clip(expression!)}' is not a FHIRPath expression: {ex.Message}";
        }
        catch (InvalidOperationException ex)
        {
            error = $"'{Clip(expression!)}' cannot be compiled: {ex.Message}";
        }
        catch (ArgumentException ex)
        {
            error = $"'{Clip(expression!)}' cannot be compiled: {ex.Message}";
        }
        catch (OverflowException)
        {
            // Firely's lexer reads integer literals as Int32.
            error = $"'{Clip(expression!)}' holds a number beyond the integers FHIRPath evaluates here.";
        }

        return false;
    }

    private static string? Bounds(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return "is empty.";
        }

        if (expression.Length > MaxLength)
        {
            return $"is longer than {MaxLength} characters.";
        }

        // Brackets inside 'strings' and `identifiers` are text; a closing bracket before its opening one is no FHIRPath
        // and must not lower the count for what follows.
        var depth = 0;
        char? quote = null;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (quote is not null)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = null;
                }

                continue;
            }

            if (c is '\'' or '`')
            {
                quote = c;
                continue;
            }

            depth += c is '(' or '[' or '{' ? 1 : c is ')' or ']' or '}' ? -1 : 0;
            if (depth > MaxNesting)
            {
                return $"nests deeper than {MaxNesting} levels.";
            }

            if (depth < 0)
            {
                return "closes a bracket it never opened.";
            }
        }

        return null;
    }

    private static string Clip(string expression) => expression.Length > 100 ? expression[..100] + "…" : expression;
}

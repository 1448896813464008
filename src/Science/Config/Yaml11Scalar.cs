using System.Globalization;
using System.Text.RegularExpressions;

namespace Tract7dt.Science.Config;

/// <summary>
/// Resolves a plain (unquoted) YAML scalar to a value with the YAML 1.1 type rules that
/// existing tract7dt configs were written against (docs/config.md §2.3): <c>yes/no/on/off</c>
/// are booleans, <c>~</c> is null, <c>1e-6</c> (an exponent without a decimal point)
/// stays a string, <c>010</c> is octal, <c>1:20</c> is sexagesimal.
/// </summary>
/// <remarks>
/// Results are <c>null</c>, <c>bool</c>, <c>long</c>, <c>double</c> or <c>string</c>.
/// Quoted scalars are always strings and never reach this resolver.
/// </remarks>
internal static partial class Yaml11Scalar
{
    // YAML 1.1 int: binary, octal (leading 0), decimal, hex, sexagesimal (base 60).
    [GeneratedRegex(@"^(?:[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")]
    private static partial Regex IntPattern();

    // YAML 1.1 float: needs a '.'; an exponent needs an explicit sign; sexagesimal; .inf/.nan.
    // A sign is also accepted before a bare fraction ("-.5"), a superset of what PyYAML reads.
    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex FloatPattern();

    /// <summary>Resolve the text of a plain scalar.</summary>
    public static object? Resolve(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                return false;
        }
        if (IntPattern().IsMatch(text) && TryInt(text, out long l)) return l;
        if (FloatPattern().IsMatch(text) && HasDigit(text) && TryFloat(text, out double d)) return d;
        return text;
    }

    private static bool HasDigit(string s)
    {
        foreach (char c in s) if (char.IsAsciiDigit(c) || c is 'i' or 'I' or 'n' or 'N') return true;
        return false;
    }

    private static bool TryInt(string text, out long value)
    {
        value = 0;
        string s = text.Replace("_", "", StringComparison.Ordinal);
        int sign = 1;
        if (s[0] is '+' or '-') { if (s[0] == '-') sign = -1; s = s[1..]; }
        try
        {
            checked
            {
                if (s.Contains(':'))
                {
                    long acc = 0;
                    foreach (var part in s.Split(':')) acc = acc * 60 + long.Parse(part, CultureInfo.InvariantCulture);
                    value = sign * acc;
                }
                else if (s.StartsWith("0b", StringComparison.Ordinal)) value = sign * Convert.ToInt64(s[2..], 2);
                else if (s.StartsWith("0x", StringComparison.Ordinal)) value = sign * Convert.ToInt64(s[2..], 16);
                else if (s.Length > 1 && s[0] == '0') value = sign * Convert.ToInt64(s[1..], 8);
                else value = sign * long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
            }
            return true;
        }
        catch (Exception e) when (e is OverflowException or FormatException)
        {
            return false;   // too large for 64 bits: leave it a string, the type check names it
        }
    }

    private static bool TryFloat(string text, out double value)
    {
        string s = text.Replace("_", "", StringComparison.Ordinal);
        switch (s.TrimStart('+', '-'))
        {
            case ".inf" or ".Inf" or ".INF":
                value = s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
                return true;
            case ".nan" or ".NaN" or ".NAN":
                value = double.NaN;
                return true;
        }
        if (s.Contains(':'))
        {
            double sign = s[0] == '-' ? -1 : 1;
            string body = s.TrimStart('+', '-');
            string[] parts = body.Split(':');
            double acc = 0;
            for (int i = 0; i < parts.Length; i++)
                acc = acc * 60 + double.Parse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            value = sign * acc;
            return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}

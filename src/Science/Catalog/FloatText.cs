using System.Globalization;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// Text forms of doubles as the original's outputs write them (Python's <c>repr</c> of a
/// float, which pandas uses for CSV): the shortest digits that read back to the same
/// double; fixed notation when the decimal exponent is in [-4, 16) with at least one digit
/// after the point (<c>20.0</c>, <c>0.0001</c>), otherwise <c>d.ddde±XX</c> with at least
/// two exponent digits (<c>1e-05</c>, <c>1.5e+16</c>); <c>inf</c>, <c>-inf</c>, <c>nan</c>.
/// </summary>
public static class FloatText
{
    /// <summary>Python-<c>repr</c> text of <paramref name="value"/> (culture-invariant).</summary>
    public static string Repr(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        // .NET's "R" gives the shortest round-trip digits; re-lay them out Python's way.
        string shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        Decompose(shortest, out string digits, out int exp10);
        var sb = new System.Text.StringBuilder(32);
        if (value < 0) sb.Append('-');
        if (exp10 >= -4 && exp10 < 16)
        {
            if (exp10 >= 0)
            {
                int intLen = exp10 + 1;
                if (digits.Length <= intLen)
                {
                    sb.Append(digits).Append('0', intLen - digits.Length).Append(".0");
                }
                else
                {
                    sb.Append(digits, 0, intLen).Append('.').Append(digits, intLen, digits.Length - intLen);
                }
            }
            else
            {
                sb.Append("0.").Append('0', -exp10 - 1).Append(digits);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exp10 < 0 ? '-' : '+');
            int a = Math.Abs(exp10);
            if (a < 10) sb.Append('0');
            sb.Append(a.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Split a positive "R"-formatted number into significant digits (no leading/trailing
    /// zeros) and the decimal exponent of the first digit.
    /// </summary>
    private static void Decompose(string s, out string digits, out int exp10)
    {
        int e = 0;
        int ePos = s.IndexOfAny(['E', 'e']);
        string mant = s;
        if (ePos >= 0)
        {
            e = int.Parse(s.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mant = s[..ePos];
        }
        int dot = mant.IndexOf('.');
        string intPart = dot < 0 ? mant : mant[..dot];
        string frac = dot < 0 ? "" : mant[(dot + 1)..];
        string all = intPart + frac;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0') lead++;
        // Position of the first significant digit relative to the decimal point.
        exp10 = intPart.Length - 1 - lead + e;
        digits = all[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
    }
}

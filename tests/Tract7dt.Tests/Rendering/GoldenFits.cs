using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Tract7dt.Tests.Rendering;

/// <summary>
/// Minimal, test-only reader of a primary-HDU FITS image (BITPIX −64 or −32, NAXIS = 2),
/// until the FITS module (wip/fits) provides a reader. Returns row-major values.
/// </summary>
internal static class GoldenFits
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Golden", "Tractor");

    public static (double[] Values, int Width, int Height) Read(string file)
    {
        byte[] b = File.ReadAllBytes(Path.Combine(Dir, file));
        int bitpix = 0, w = 0, h = 0, pos = 0;
        bool end = false;
        while (!end)
        {
            for (int c = 0; c < 36; c++, pos += 80)
            {
                string card = Encoding.ASCII.GetString(b, pos, 80);
                string key = card[..8].Trim();
                if (key == "END") { end = true; break; }
                if (card.Length > 10 && card[8] == '=')
                {
                    string v = card[10..].Split('/')[0].Trim();
                    if (key == "BITPIX") bitpix = int.Parse(v, CultureInfo.InvariantCulture);
                    if (key == "NAXIS1") w = int.Parse(v, CultureInfo.InvariantCulture);
                    if (key == "NAXIS2") h = int.Parse(v, CultureInfo.InvariantCulture);
                }
            }
            pos = (pos + 2879) / 2880 * 2880;
        }
        var vals = new double[w * h];
        for (int i = 0; i < vals.Length; i++)
            vals[i] = bitpix == -64
                ? BinaryPrimitives.ReadDoubleBigEndian(b.AsSpan(pos + 8 * i))
                : bitpix == -32 ? BinaryPrimitives.ReadSingleBigEndian(b.AsSpan(pos + 4 * i))
                : throw new NotSupportedException($"BITPIX {bitpix}");
        return (vals, w, h);
    }
}

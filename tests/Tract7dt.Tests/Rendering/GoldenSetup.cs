using System.Text.Json;
using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Psf.Models;

namespace Tract7dt.Tests.Rendering;

/// <summary>Builds the Tractor golden set-ups of Golden/Tractor/render_index.json.</summary>
internal static class GoldenSetup
{
    public const int Size = 64;
    private static readonly Lazy<JsonElement> s_index = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenFits.Dir, "render_index.json"))).RootElement);

    public static JsonElement Index => s_index.Value;

    private static readonly Lazy<PixelizedPsf> s_pix = new(() =>
    {
        var (v, w, h) = GoldenFits.Read("psf_moffat_stamp.fits");
        return new PixelizedPsf(v.Select(x => (float)x).ToArray(), w, h);
    });

    public static PixelizedPsf Pix => s_pix.Value;

    public static GaussianMixture MixtureFromJson(JsonElement e)
    {
        var amp = e.GetProperty("amp").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var mean = e.GetProperty("mean").EnumerateArray().Select(m => m.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        var vr = e.GetProperty("var").EnumerateArray().Select(m => m.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray()).ToArray();
        return new GaussianMixture(amp, mean.Select(m => m[0]).ToArray(), mean.Select(m => m[1]).ToArray(),
            vr.Select(v => v[0][0]).ToArray(), vr.Select(v => v[0][1]).ToArray(), vr.Select(v => v[1][1]).ToArray());
    }

    public static IPsf Psf(string key)
    {
        var p = Index.GetProperty("psfs");
        return key switch
        {
            "ncirc" => new NCircularGaussianPsf([1.7], [1.0]),
            "gmix" => new GaussianMixturePsf(MixtureFromJson(p.GetProperty("gmix"))),
            "pix" => Pix,
            "hybrid" => new HybridPixelizedPsf(Pix, MixtureFromJson(p.GetProperty("hybrid").GetProperty("fitted_gauss"))),
            _ => throw new ArgumentException(key),
        };
    }

    /// <summary>A one-source, one-image (band r, zero data, unit weights) model.</summary>
    public static PatchModel Model(string source, IPsf psf, double x, double y, double[] values, double pixscale)
    {
        var (type, n) = source switch
        {
            "point" => (SourceType.Point, 3.0),
            "exp" => (SourceType.Exp, 3.0),
            "dev" => (SourceType.Dev, 3.0),
            _ when source.StartsWith("sersic", StringComparison.Ordinal) =>
                (SourceType.Sersic, double.Parse(source.Replace("sersic", "").Replace('p', '.'), System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException(source),
        };
        var shape = type == SourceType.Point ? default : new EllipseESoft(values[3], values[4], values[5]);
        var src = new FitSource(type, x, y, new Dictionary<string, double> { ["r"] = 1000.0 }, shape, n);
        var img = new FitImage("r", new float[Size * Size], Enumerable.Repeat(1f, Size * Size).ToArray(), Size, Size, psf, 0.0, pixscale);
        return new PatchModel([img], [src]);
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}

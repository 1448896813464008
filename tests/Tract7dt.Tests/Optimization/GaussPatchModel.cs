using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Patch;

namespace Tract7dt.Tests.Optimization;

/// <summary>
/// A test forward model with the Tractor's parameter names and bounds, built by a
/// <see cref="PatchModelFactory"/>: a circular Gaussian PSF of width <see cref="PsfSigma"/>
/// (the PSF object is ignored); stars are the PSF, galaxies an elliptical Gaussian of
/// covariance re²·TTᵀ/2 (docs/fitting.md §14.3 basis; the Sérsic index widens it by
/// (n/3)^0.2) convolved with the PSF. Every source is rendered on the whole image.
/// Position and shape derivatives are central differences; flux and sky exact.
/// </summary>
internal sealed class GaussPatchModel : IFitProblem
{
    public const double PsfSigma = 1.6;
    private readonly IReadOnlyList<PatchImage> _img;
    private readonly List<(SourceType Kind, int Offset)> _src = new();
    private readonly double[] _p;
    private readonly string[] _names;
    private readonly double[] _lo, _hi, _max;
    private readonly int _nb;

    public static readonly PatchModelFactory Factory = (images, sources) => new GaussPatchModel(images, sources);

    public GaussPatchModel(IReadOnlyList<PatchImage> images, IReadOnlyList<SourceInit> sources)
    {
        _img = images;
        _nb = images.Count;
        var p = new List<double>(); var names = new List<string>();
        var lo = new List<double>(); var hi = new List<double>(); var mx = new List<double>();
        void Add(string n, double v, double l = double.NegativeInfinity, double h = double.PositiveInfinity, double m = double.PositiveInfinity)
        { names.Add(n); p.Add(v); lo.Add(l); hi.Add(h); mx.Add(m); }
        for (int k = 0; k < _nb; k++) Add($"images.image{k}.sky.sky", 0);
        for (int i = 0; i < sources.Count; i++)
        {
            var s = sources[i];
            _src.Add((s.Kind, p.Count));
            Add($"catalog.source{i}.pos.x", s.X, m: 1); Add($"catalog.source{i}.pos.y", s.Y, m: 1);
            foreach (int k in Enumerable.Range(0, _nb).OrderBy(k => images[k].Band, StringComparer.Ordinal))
                Add($"catalog.source{i}.brightness.{images[k].Band}", s.Flux[k]);
            if (s.Kind == SourceType.Point) continue;
            Add($"catalog.source{i}.shape.logre", s.LogRe, Math.Log(0.1), Math.Log(1000), 1);
            Add($"catalog.source{i}.shape.ee1", s.Ee1, -100, 100, 0.1);
            Add($"catalog.source{i}.shape.ee2", s.Ee2, -100, 100, 0.1);
            if (s.Kind == SourceType.Sersic) Add($"catalog.source{i}.sersicindex.SersicIndex", s.SersicN, 0.29, 6.3, 0.1);
        }
        _p = p.ToArray(); _names = names.ToArray(); _lo = lo.ToArray(); _hi = hi.ToArray(); _max = mx.ToArray();
    }

    public int ImageCount => _nb;
    public int ImageWidth(int image) => _img[image].Width;
    public int ImageHeight(int image) => _img[image].Height;
    public ReadOnlySpan<float> Data(int image) => _img[image].Data;
    public ReadOnlySpan<float> InverseError(int image) => _img[image].InverseError;
    public int ParameterCount => _p.Length;
    public string ParameterName(int index) => _names[index];
    public void GetParameters(Span<double> values) => _p.CopyTo(values);
    public void SetParameters(ReadOnlySpan<double> values) => values.CopyTo(_p);
    public void GetBounds(Span<double> lower, Span<double> upper) { _lo.CopyTo(lower); _hi.CopyTo(upper); }
    public void GetMaxSteps(Span<double> maxSteps) => _max.CopyTo(maxSteps);

    public double LogPrior()
    {
        foreach (var (kind, off) in _src)
            if (kind == SourceType.Sersic && (_p[off + 2 + _nb + 3] < 0.29 || _p[off + 2 + _nb + 3] > 6.3)) return double.NegativeInfinity;
        return 0;
    }

    private int FluxIndex(int off, int image)
    {
        int rank = Enumerable.Range(0, _nb).OrderBy(k => _img[k].Band, StringComparer.Ordinal).ToList().IndexOf(image);
        return off + 2 + rank;
    }

    /// <summary>Adds unit-flux × <paramref name="scale"/> of source s with parameters <paramref name="p"/> into <paramref name="dst"/>.</summary>
    private void AddUnit(double[] p, int s, int image, double scale, Span<float> dst)
    {
        var (kind, off) = _src[s];
        double x = p[off], y = p[off + 1];
        double cxx = PsfSigma * PsfSigma, cyy = cxx, cxy = 0;
        if (kind != SourceType.Point)
        {
            double re = Math.Exp(p[off + 2 + _nb]), ee1 = p[off + 3 + _nb], ee2 = p[off + 4 + _nb];
            if (kind == SourceType.Sersic) re *= Math.Pow(Math.Max(p[off + 5 + _nb], 0.29) / 3.0, 0.2);
            double e = 1 - Math.Exp(-double.Hypot(ee1, ee2));
            double q = Math.Max((1 - e) / (1 + e), 1e-3), th = Math.Atan2(ee2, ee1) / 2, c = Math.Cos(th), sn = Math.Sin(th);
            // T = re·[[c q, s], [−s q, c]], C_gal = T Tᵀ / 2.
            double t00 = re * c * q, t01 = re * sn, t10 = -re * sn * q, t11 = re * c;
            cxx += (t00 * t00 + t01 * t01) / 2; cxy += (t00 * t10 + t01 * t11) / 2; cyy += (t10 * t10 + t11 * t11) / 2;
        }
        double det = cxx * cyy - cxy * cxy;
        double ixx = cyy / det, iyy = cxx / det, ixy = -cxy / det, norm = scale / (2 * Math.PI * Math.Sqrt(det));
        int w = _img[image].Width, h = _img[image].Height;
        for (int yy = 0; yy < h; yy++)
        {
            double dy = yy - y;
            for (int xx = 0; xx < w; xx++)
            {
                double dx = xx - x;
                double m2 = ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy;
                if (m2 < 25) dst[yy * w + xx] += (float)(norm * Math.Exp(-0.5 * m2)); // a 5σ stamp, like a real renderer's box

            }
        }
    }

    public void RenderModel(int image, Span<float> model)
    {
        model.Fill((float)_p[image]);
        for (int s = 0; s < _src.Count; s++)
        {
            double f = _p[FluxIndex(_src[s].Offset, image)];
            if (f != 0) AddUnit(_p, s, image, f, model);
        }
    }

    public void GetDerivatives(List<DerivativePatch>[] per)
    {
        for (int k = 0; k < _nb; k++)
        {
            var ones = new float[_img[k].Width * _img[k].Height];
            ones.AsSpan().Fill(1f);
            per[k].Add(new DerivativePatch(k, 0, 0, _img[k].Width, _img[k].Height, ones));
        }
        for (int s = 0; s < _src.Count; s++)
        {
            var (kind, off) = _src[s];
            int nShape = kind == SourceType.Point ? 0 : kind == SourceType.Sersic ? 4 : 3;
            for (int k = 0; k < _nb; k++)
            {
                int w = _img[k].Width, h = _img[k].Height;
                int fi = FluxIndex(off, k);
                double f = _p[fi];
                var u = new float[w * h];
                AddUnit(_p, s, k, 1.0, u);
                if (u.All(v => v == 0)) continue;
                per[fi].Add(new DerivativePatch(k, 0, 0, w, h, u));
                if (f == 0) continue;
                var idx = new List<int> { off, off + 1 };
                for (int q = 0; q < nShape; q++) idx.Add(off + 2 + _nb + q);
                foreach (int j in idx)
                {
                    double step = j < off + 2 ? 0.05 : 0.005;
                    var plus = (double[])_p.Clone(); plus[j] += step;
                    var minus = (double[])_p.Clone(); minus[j] -= step;
                    var a = new float[w * h]; var b = new float[w * h];
                    AddUnit(plus, s, k, f, a); AddUnit(minus, s, k, f, b);
                    var d = new float[w * h];
                    for (int i = 0; i < d.Length; i++) d[i] = (float)((a[i] - (double)b[i]) / (2 * step));
                    per[j].Add(new DerivativePatch(k, 0, 0, w, h, d));
                }
            }
        }
    }

    /// <summary>Renders a truth image set: per band, the model of the given sources (no sky) plus seeded noise σ.</summary>
    public static PatchBand[] Simulate(int w, int h, string[] bands, IReadOnlyList<SourceInit> truth, double sigma, int seed)
    {
        var rng = new Random(seed);
        var empty = bands.Select(b => new PatchImage(b, w, h, new float[w * h], new float[w * h], null)).ToArray();
        var m = new GaussPatchModel(empty, truth);
        var result = new PatchBand[bands.Length];
        for (int k = 0; k < bands.Length; k++)
        {
            var img = new float[w * h];
            m.RenderModel(k, img);
            for (int i = 0; i < img.Length; i++)
                img[i] += (float)(sigma * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            var sig = new float[w * h];
            sig.AsSpan().Fill((float)sigma);
            result[k] = new PatchBand(bands[k], img, sig, null, null);
        }
        return result;
    }
}

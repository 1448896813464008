using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Fitting;

/// <summary>
/// The forward model of one patch (images + sources) as an <see cref="IFitProblem"/>: the
/// Tractor's parameter order and names (docs/fitting.md §13.4, bands sorted ordinally, every
/// sky free, PSFs fixed), bounds, max steps, log-prior, model images and derivative patches
/// (docs/fitting.md §17, galaxy positions at the correct scale, README fix #1).
/// </summary>
/// <remarks>
/// A view owns its parameter values; images and PSFs are shared read-only. Freezing
/// (<see cref="WithFree"/>, <see cref="FreezeAllButFluxes"/>) returns a new view with its own
/// single index space, starting from this view's current values. Not thread-safe.
/// </remarks>
public sealed class PatchModel : IFitProblem
{
    private const double PointStep = 0.1, ShapeStep = 0.01, SersicStep = 0.01;

    private readonly FitImage[] _images;
    private readonly SourceType[] _types;
    private readonly string[] _bands;
    private readonly int[] _imageBand;          // image → band index
    private readonly int[] _srcOffset;          // source → index of its x in the full vector
    private readonly ParameterInfo[] _all;      // full layout
    private readonly double[] _values;          // full vector (this view's own copy)
    private readonly int[] _free;               // free index → full index
    private readonly int[] _freeOf;             // full index → free index or −1
    private readonly int[] _renderClass;        // image → index of its render class (see RenderClasses)
    private readonly int _classCount;
    private readonly PatchCache _cache;
    private readonly StepCache _steps;
    private float[][]? _ones;
    // Gaussian priors (docs/fitting.md §18.7), per parameter of _all: 1/σ (0 = none) and the centre.
    // ee1, ee2: PatchModelOptions.EllipticityPriorSigma about 0; Sérsic index: SersicIndexPriorSigma about its
    // start (AnchorSersicIndexPrior); logre: SizePriorSigma about the catalogue's size, for measured sizes only.
    private readonly double[] _priorInvSigma;
    private readonly double[] _priorCentre;
    private readonly bool[] _sizeMeasured;
    // PatchModelOptions.SersicStepFraction
    private readonly double _sersicStepFraction;
    private readonly int _priorCount;

    public PatchModel(IReadOnlyList<FitImage> images, IReadOnlyList<FitSource> sources, PatchModelOptions? options = null)
    {
        var opt = options ?? PatchModelOptions.Pipeline;
        _images = images.ToArray();
        _types = sources.Select(s => s.Type).ToArray();
        foreach (var im in _images)
            if (im.SourcePsfs is { } sp && sp.Count != _types.Length)
                throw new Tract7dtException(ErrorCodes.FitImageInvalid,
                    $"Image of band '{im.Band}' has {sp.Count} per-source PSFs for {_types.Length} sources; give one per source or none.");
        _bands = _images.Select(i => i.Band).Distinct().OrderBy(b => b, StringComparer.Ordinal).ToArray();
        _imageBand = _images.Select(i => Array.IndexOf(_bands, i.Band)).ToArray();
        var info = new List<ParameterInfo>();
        var vals = new List<double>();
        double inf = double.PositiveInfinity;
        for (int k = 0; k < _images.Length; k++)
        {
            info.Add(new($"images.image{k}.sky.sky", ParameterKind.Sky, k, -1, -1, 1.0, -inf, inf, inf));
            vals.Add(_images[k].Sky);
        }
        _srcOffset = new int[_types.Length];
        for (int i = 0; i < _types.Length; i++)
        {
            var s = sources[i];
            string p = $"catalog.source{i}.";
            _srcOffset[i] = info.Count;
            double shift = opt.MaxShiftPix > 0 ? opt.MaxShiftPix : inf;
            info.Add(new(p + "pos.x", ParameterKind.PositionX, -1, i, -1, 0.1, s.X - shift, s.X + shift, 1.0)); vals.Add(s.X);
            info.Add(new(p + "pos.y", ParameterKind.PositionY, -1, i, -1, 0.1, s.Y - shift, s.Y + shift, 1.0)); vals.Add(s.Y);
            for (int b = 0; b < _bands.Length; b++)
            {
                if (!s.Fluxes.TryGetValue(_bands[b], out double f))
                    throw new Tract7dtException(ErrorCodes.SourceFluxMissing,
                        $"Source {i} has no flux for band '{_bands[b]}', which has an image; give every source a flux in every fitted band.");
                info.Add(new(p + "brightness." + _bands[b], ParameterKind.Flux, -1, i, b, 1.0, -inf, inf, inf)); vals.Add(f);
            }
            if (s.IsGalaxy)
            {
                double reUpper = opt.MaxSizeFactor > 0 ? Math.Min(opt.LogReUpper, s.Shape.LogRe + Math.Log(opt.MaxSizeFactor)) : opt.LogReUpper;
                info.Add(new(p + "shape.logre", ParameterKind.LogRe, -1, i, -1, ShapeStep, opt.LogReLower, reUpper, 1.0)); vals.Add(s.Shape.LogRe);
                info.Add(new(p + "shape.ee1", ParameterKind.Ee1, -1, i, -1, ShapeStep, -opt.EeBound, opt.EeBound, 0.1)); vals.Add(s.Shape.Ee1);
                info.Add(new(p + "shape.ee2", ParameterKind.Ee2, -1, i, -1, ShapeStep, -opt.EeBound, opt.EeBound, 0.1)); vals.Add(s.Shape.Ee2);
            }
            if (s.Type == SourceType.Sersic)
            {
                info.Add(new(p + "sersicindex.SersicIndex", ParameterKind.SersicIndex, -1, i, -1, SersicStep, SersicMixture.MinN, SersicMixture.MaxN, 0.1));
                vals.Add(s.SersicN);
            }
        }
        _all = info.ToArray();
        _values = vals.ToArray();
        _free = Enumerable.Range(0, _all.Length).ToArray();
        _freeOf = _free.ToArray();
        (_renderClass, _classCount) = RenderClasses(_images);
        _cache = new PatchCache(_types.Length, _classCount);
        _steps = new StepCache(_classCount);
        _sizeMeasured = sources.Select(x => x.SizeMeasured).ToArray();
        _priorInvSigma = new double[_all.Length];
        _priorCentre = new double[_all.Length];
        double ee = Inverse(opt.EllipticityPriorSigma), n = Inverse(opt.SersicIndexPriorSigma), size = Inverse(opt.SizePriorSigma);
        for (int j = 0; j < _all.Length; j++)
        {
            var par = _all[j];
            (_priorInvSigma[j], _priorCentre[j]) = par.Kind switch
            {
                ParameterKind.Ee1 or ParameterKind.Ee2 => (ee, 0.0),
                ParameterKind.SersicIndex => (n, _values[j]),
                ParameterKind.LogRe when sources[par.Source].SizeMeasured => (size, _values[j]),
                _ => (0.0, 0.0),
            };
        }
        _sersicStepFraction = opt.SersicStepFraction;
        _priorCount = CountPriors();
    }

    private static double Inverse(double sigma) => sigma > 0 ? 1.0 / sigma : 0.0;

    private int CountPriors()
    {
        int n = 0;
        foreach (int j in _free)
            if (_priorInvSigma[j] > 0) n++;
        return n;
    }

    /// <summary>
    /// Centres the Sérsic-index prior (<see cref="PatchModelOptions.SersicIndexPriorSigma"/>) of every
    /// galaxy on the index it holds now: call once its start is chosen (<c>SersicIndexStart</c>).
    /// </summary>
    public void AnchorSersicIndexPrior()
    {
        for (int j = 0; j < _all.Length; j++)
            if (_all[j].Kind == ParameterKind.SersicIndex) _priorCentre[j] = _values[j];
    }

    /// <summary>
    /// Groups images whose unit-flux patches are identical for any source: a unit-flux patch
    /// (and every stepped render a derivative uses) is a function of the source's geometry and
    /// of the image's PSF, width, height and pixel scale only (docs/fitting.md §16.2–§16.6; the flux enters as a
    /// factor afterwards). Bands that share one PSF object and one geometry, as in the timing
    /// recipe, therefore share every render.
    /// </summary>
    private static (int[] Class, int Count) RenderClasses(FitImage[] images)
    {
        var cls = new int[images.Length];
        int count = 0;
        for (int k = 0; k < images.Length; k++)
        {
            cls[k] = -1;
            for (int q = 0; q < k && cls[k] < 0; q++)
            {
                var a = images[q]; var b = images[k];
                if (ReferenceEquals(a.Psf, b.Psf) && ReferenceEquals(a.SourcePsfs, b.SourcePsfs) && a.Width == b.Width && a.Height == b.Height && a.PixelScale.Equals(b.PixelScale))
                    cls[k] = cls[q];
            }
            if (cls[k] < 0) cls[k] = count++;
        }
        return (cls, count);
    }

    private PatchModel(PatchModel src, int[] free)
    {
        _images = src._images; _types = src._types; _bands = src._bands; _imageBand = src._imageBand;
        _srcOffset = src._srcOffset; _all = src._all; _values = (double[])src._values.Clone();
        _free = free;
        _freeOf = Enumerable.Repeat(-1, _all.Length).ToArray();
        for (int j = 0; j < free.Length; j++) _freeOf[free[j]] = j;
        _renderClass = src._renderClass; _classCount = src._classCount;
        _cache = new PatchCache(_types.Length, _classCount);
        _steps = new StepCache(_classCount);
        _ones = src._ones;
        _priorInvSigma = src._priorInvSigma;
        _sizeMeasured = src._sizeMeasured;
        _priorCentre = (double[])src._priorCentre.Clone();
        _sersicStepFraction = src._sersicStepFraction;
        _priorCount = CountPriors();
    }

    // ---- structure -------------------------------------------------------------------

    /// <summary>Band names in parameter order (ordinal sort).</summary>
    public IReadOnlyList<string> Bands => _bands;
    public IReadOnlyList<FitImage> Images => _images;
    public int SourceCount => _types.Length;
    public SourceType SourceTypeOf(int source) => _types[source];

    /// <summary>Metadata of free parameter <paramref name="index"/>.</summary>
    public ParameterInfo Parameter(int index) => _all[_free[index]];

    /// <summary>True if every free parameter is a flux (the precondition of forced photometry).</summary>
    public bool IsFluxOnly => _free.All(j => _all[j].Kind == ParameterKind.Flux);

    /// <summary>A new view whose free parameters are those of this view that <paramref name="keep"/> accepts.</summary>
    public PatchModel WithFree(Func<ParameterInfo, bool> keep) =>
        new(this, _free.Where(j => keep(_all[j])).ToArray());

    /// <summary>Forced photometry: a new view in which only the fluxes are free (sky and PSFs fixed too).</summary>
    public PatchModel FreezeAllButFluxes() => WithFree(p => p.Kind == ParameterKind.Flux);

    // ---- IFitProblem -----------------------------------------------------------------

    public int ImageCount => _images.Length;
    public int ImageWidth(int image) => _images[image].Width;
    public int ImageHeight(int image) => _images[image].Height;
    public ReadOnlySpan<float> Data(int image) => _images[image].Data;
    public ReadOnlySpan<float> InverseError(int image) => _images[image].InverseError;
    public int ParameterCount => _free.Length;
    public string ParameterName(int index) => _all[_free[index]].Name;

    public void GetParameters(Span<double> values)
    {
        for (int j = 0; j < _free.Length; j++) values[j] = _values[_free[j]];
    }

    public void SetParameters(ReadOnlySpan<double> values)
    {
        if (values.Length != _free.Length) throw new ArgumentException($"expected {_free.Length} values, got {values.Length}");
        for (int j = 0; j < _free.Length; j++) _values[_free[j]] = values[j];
    }

    public void GetBounds(Span<double> lower, Span<double> upper)
    {
        for (int j = 0; j < _free.Length; j++) { lower[j] = _all[_free[j]].Lower; upper[j] = _all[_free[j]].Upper; }
    }

    public void GetMaxSteps(Span<double> maxSteps)
    {
        for (int j = 0; j < _free.Length; j++)
        {
            var info = _all[_free[j]];
            maxSteps[j] = info.Kind == ParameterKind.SersicIndex && _sersicStepFraction > 0
                ? Math.Max(info.MaxStep, _sersicStepFraction * _values[_free[j]])
                : info.MaxStep;
        }
    }

    /// <summary>Finite-difference step sizes of the free parameters (docs/fitting.md §13.4).</summary>
    public void GetStepSizes(Span<double> steps)
    {
        for (int j = 0; j < _free.Length; j++) steps[j] = _all[_free[j]].Step;
    }

    /// <summary>0, or −∞ if a free Sersic index lies outside [0.29, 6.3] (docs/fitting.md §13.3).</summary>
    public double LogPrior()
    {
        foreach (int j in _free)
            if (_all[j].Kind == ParameterKind.SersicIndex && !(_values[j] >= SersicMixture.MinN && _values[j] <= SersicMixture.MaxN))
                return double.NegativeInfinity;
        return 0.0;
    }

    /// <summary>One term per free parameter with a Gaussian prior: ee1 and ee2 (ellipticity prior), each Sérsic index,
    /// each measured size's logre (docs/fitting.md §18.7).</summary>
    public int GaussianPriorCount => _priorCount;

    public void GetGaussianPriors(Span<int> parameter, Span<double> residual, Span<double> inverseSigma)
    {
        if (_priorCount == 0) return;
        int k = 0;
        for (int j = 0; j < _free.Length; j++)
        {
            int a = _free[j];
            double w = _priorInvSigma[a];
            if (w == 0) continue;
            parameter[k] = j;
            residual[k] = (_priorCentre[a] - _values[a]) * w;
            inverseSigma[k] = w;
            k++;
        }
    }

    public void RenderModel(int image, Span<float> model)
    {
        var img = _images[image];
        if (model.Length < img.Width * img.Height) throw new ArgumentException("model buffer too short", nameof(model));
        model = model.Slice(0, img.Width * img.Height);
        float sky = (float)_values[image];
        model.Fill(sky);
        for (int i = 0; i < _types.Length; i++)
        {
            double c = Flux(i, image);
            float cf = (float)c;
            if (cf == 0f || !float.IsFinite(cf)) continue;
            UnitFluxPatch(i, image)?.AddTo(model, img.Width, img.Height, cf);
        }
    }

    public void GetDerivatives(List<DerivativePatch>[] perParameter)
    {
        if (perParameter.Length < _free.Length) throw new ArgumentException("one list per free parameter is needed");
        for (int k = 0; k < _images.Length; k++)
        {
            int j = _freeOf[k];
            if (j < 0) continue;
            var img = _images[k];
            _ones ??= new float[_images.Length][];
            // Images of one size share one array of ones (the optimizer then keeps it once).
            if (_ones[k] is null)
                for (int q = 0; q < _images.Length && _ones[k] is null; q++)
                    if (_ones[q] is { } o && _images[q].Width == img.Width && _images[q].Height == img.Height) _ones[k] = o;
            var ones = _ones[k] ??= Enumerable.Repeat(1f, img.Width * img.Height).ToArray();
            perParameter[j].Add(new DerivativePatch(k, 0, 0, img.Width, img.Height, ones));
        }
        for (int i = 0; i < _types.Length; i++)
        {
            _steps.Reset(); // stepped renders are shared by the images of one render class, per source
            for (int k = 0; k < _images.Length; k++)
                SourceDerivatives(i, k, perParameter);
        }
    }

    // ---- per-source rendering ---------------------------------------------------------

    /// <summary>Current value of source <paramref name="source"/>'s flux in the band of <paramref name="image"/>.</summary>
    public double Flux(int source, int image) => _values[_srcOffset[source] + 2 + _imageBand[image]];

    /// <summary>Current sky level of an image.</summary>
    public double Sky(int image) => _values[image];

    /// <summary>The source at the current parameters (fluxes keyed by band).</summary>
    public FitSource GetSource(int source)
    {
        int o = _srcOffset[source];
        var fl = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int b = 0; b < _bands.Length; b++) fl[_bands[b]] = _values[o + 2 + b];
        var t = _types[source];
        int so = o + 2 + _bands.Length;
        return new FitSource(t, _values[o], _values[o + 1], fl,
            t == SourceType.Point ? default : new EllipseESoft(_values[so], _values[so + 1], _values[so + 2]),
            t == SourceType.Sersic ? _values[so + 3] : 3.0) { SizeMeasured = _sizeMeasured[source] };
    }

    /// <summary>
    /// The source's unit-flux patch on an image at the current parameters (not clipped to the
    /// image; may be null when nothing is drawn). Cached until the source's position, shape or
    /// index change; treat the values as read-only.
    /// </summary>
    public ImagePatch? UnitFluxPatch(int source, int image)
    {
        int o = _srcOffset[source];
        var t = _types[source];
        int so = o + 2 + _bands.Length;
        var key = new SourceKey(_values[o], _values[o + 1],
            t == SourceType.Point ? 0 : _values[so], t == SourceType.Point ? 0 : _values[so + 1],
            t == SourceType.Point ? 0 : _values[so + 2], t == SourceType.Sersic ? _values[so + 3] : 0);
        int cls = _renderClass[image];
        if (_cache.TryGet(source, cls, key, out var p)) return p;
        p = RenderUnit(t, key, source, image, mask: null);
        _cache.Set(source, cls, key, p);
        return p;
    }

    /// <summary>Per-source conditions at the current parameters (README fix #4).</summary>
    public SourceFlags GetSourceFlags(int source)
    {
        var s = GetSource(source);
        var f = SourceFlags.None;
        if (!double.IsFinite(s.X) || !double.IsFinite(s.Y) ||
            (s.IsGalaxy && !(double.IsFinite(s.Shape.LogRe) && double.IsFinite(s.Shape.Ee1) && double.IsFinite(s.Shape.Ee2))) ||
            (s.Type == SourceType.Sersic && !double.IsFinite(s.SersicN)))
            f |= SourceFlags.NonFiniteParameters;
        bool inside = false, usable = false;
        for (int k = 0; k < _images.Length; k++)
        {
            var img = _images[k];
            if (s.X >= -0.5 && s.X < img.Width - 0.5 && s.Y >= -0.5 && s.Y < img.Height - 0.5) inside = true;
            var u = UnitFluxPatch(source, k);
            if (u is null || usable) continue;
            int xa = Math.Max(0, u.X0), xb = Math.Min(img.Width, u.X0 + u.W);
            int ya = Math.Max(0, u.Y0), yb = Math.Min(img.Height, u.Y0 + u.H);
            for (int y = ya; y < yb && !usable; y++)
                for (int x = xa; x < xb; x++)
                    if (img.InverseError[y * img.Width + x] > 0 && u.Values[(y - u.Y0) * u.W + (x - u.X0)] != 0) { usable = true; break; }
        }
        if (!inside) f |= SourceFlags.CenterOffImage;
        if (!usable) f |= SourceFlags.NoUsablePixels;
        return f;
    }

    private readonly record struct SourceKey(double X, double Y, double LogRe, double Ee1, double Ee2, double N);

    private ImagePatch? RenderUnit(SourceType t, in SourceKey s, int source, int image, PixelBox? mask)
    {
        var img = _images[image];
        var psf = img.PsfOf(source);
        if (!double.IsFinite(s.X) || !double.IsFinite(s.Y)) return null;
        if (t == SourceType.Point) return psf.RenderPoint(s.X, s.Y, img.Width, img.Height);
        if (!double.IsFinite(s.LogRe) || !double.IsFinite(s.Ee1) || !double.IsFinite(s.Ee2) || !double.IsFinite(s.N)) return null;
        var shape = new EllipseESoft(s.LogRe, s.Ee1, s.Ee2);
        var profile = t switch
        {
            SourceType.Exp => ProfileMixture.Exp,
            SourceType.Dev => ProfileMixture.Dev,
            _ => SersicMixture.Get(s.N),
        };
        double nre = t == SourceType.Exp ? 4.0 : 8.0;
        var cov = shape.UnitPixelCovariance(Matrix2.FromPixelScale(img.PixelScale));
        if (mask is { } m) return GalaxyRenderer.RenderOnMask(profile, cov, s.X, s.Y, m, psf);
        return GalaxyRenderer.Render(profile, cov, nre * shape.Re / img.PixelScale, s.X, s.Y, img.Width, img.Height, psf);
    }

    private void SourceDerivatives(int i, int k, List<DerivativePatch>[] outp)
    {
        var u0 = UnitFluxPatch(i, k);
        if (u0 is null) return;
        var img = _images[k];
        if (!u0.Overlaps(img.Width, img.Height)) return;
        int o = _srcOffset[i];
        int jf = _freeOf[o + 2 + _imageBand[k]];
        if (jf >= 0) outp[jf].Add(Wrap(k, u0));
        double c = Flux(i, k);
        if (c == 0 || !double.IsFinite(c)) return;
        var t = _types[i];
        int so = o + 2 + _bands.Length;
        var key = new SourceKey(_values[o], _values[o + 1],
            t == SourceType.Point ? 0 : _values[so], t == SourceType.Point ? 0 : _values[so + 1],
            t == SourceType.Point ? 0 : _values[so + 2], t == SourceType.Sersic ? _values[so + 3] : 0);
        int jx = _freeOf[o], jy = _freeOf[o + 1];
        int cls = _renderClass[k];
        // Derivative shapes are per unit flux and shared by the images of the render class; each
        // image's patch carries its band's flux as the scale (DerivativePatch.Scale).
        if (t == SourceType.Point)
        {
            if (jx >= 0) outp[jx].Add(Wrap(k, UnitDifference(cls, 0, t, key with { X = key.X + PointStep }, i, k, null, u0, 1 / PointStep), c));
            if (jy >= 0) outp[jy].Add(Wrap(k, UnitDifference(cls, 1, t, key with { Y = key.Y + PointStep }, i, k, null, u0, 1 / PointStep), c));
            return;
        }
        if (jx >= 0 || jy >= 0)
        {
            if (!_steps.TryGetDifference(cls, 6, out var gx))
            {
                (gx, var gy) = GridPositionDerivatives(u0);
                _steps.SetDifference(cls, 6, gx);
                _steps.SetDifference(cls, 7, gy);
            }
            _steps.TryGetDifference(cls, 7, out var gyy);
            if (jx >= 0) outp[jx].Add(Wrap(k, gx!, c));
            if (jy >= 0) outp[jy].Add(Wrap(k, gyy!, c));
        }
        var mask = new PixelBox(X0: u0.X0, X1: u0.X0 + u0.W, Y0: u0.Y0, Y1: u0.Y0 + u0.H);
        for (int q = 0; q < 3; q++)
        {
            int j = _freeOf[so + q];
            if (j < 0) continue;
            var stepped = q switch
            {
                0 => key with { LogRe = key.LogRe + ShapeStep },
                1 => key with { Ee1 = key.Ee1 + ShapeStep },
                _ => key with { Ee2 = key.Ee2 + ShapeStep },
            };
            outp[j].Add(Wrap(k, UnitDifference(cls, 2 + q, t, stepped, i, k, mask, u0, 1 / ShapeStep), c));
        }
        if (t == SourceType.Sersic && _freeOf[so + 3] >= 0)
        {
            double step = key.N + SersicStep > SersicMixture.MaxN ? -SersicStep : SersicStep;
            outp[_freeOf[so + 3]].Add(Wrap(k, UnitDifference(cls, 5, t, key with { N = key.N + step }, i, k, null, u0, 1 / step), c));
        }
    }

    /// <summary>
    /// (stepped render − U0)/step in f32, per unit flux, once per (source, render class):
    /// every image of the class gets the same array with its own flux as the scale.
    /// </summary>
    private ImagePatch UnitDifference(int cls, int slot, SourceType t, in SourceKey key, int source, int image, PixelBox? mask, ImagePatch u0, double invStep)
    {
        if (_steps.TryGetDifference(cls, slot, out var d)) return d!;
        d = ImagePatch.ScaledDifference(Stepped(cls, slot, t, key, source, image, mask) ?? Empty(u0), u0, invStep);
        _steps.SetDifference(cls, slot, d);
        return d;
    }

    /// <summary>
    /// A stepped render (slot 0/1: x/y, 2–4: shape, 5: Sersic n) of the current source, shared
    /// by the images of one render class: within one source's derivatives the key and the
    /// mask (U0's extent, itself shared by the class) are the same for every such image.
    /// </summary>
    private ImagePatch? Stepped(int cls, int slot, SourceType t, in SourceKey key, int source, int image, PixelBox? mask)
    {
        if (_steps.TryGet(cls, slot, out var p)) return p;
        p = RenderUnit(t, key, source, image, mask);
        _steps.Set(cls, slot, p);
        return p;
    }

    /// <summary>
    /// Galaxy position derivatives per unit flux: pixel-grid central differences of U0 with a
    /// zero border, in pixels (README fix #1: no ×CD⁻¹ factor, unlike the reference); the
    /// caller scales them by the counts.
    /// </summary>
    private static (ImagePatch Dx, ImagePatch Dy) GridPositionDerivatives(ImagePatch u0)
    {
        int w = u0.W, h = u0.H;
        var u = u0.Values;
        var dx = new float[w * h];
        var dy = new float[w * h];
        for (int r = 1; r < h - 1; r++)
            for (int col = 1; col < w - 1; col++)
            {
                int i = r * w + col;
                dx[i] = (float)((u[i - 1] - (double)u[i + 1]) / 2);
                dy[i] = (float)((u[i - w] - (double)u[i + w]) / 2);
            }
        return (new ImagePatch(u0.X0, u0.Y0, w, h, dx), new ImagePatch(u0.X0, u0.Y0, w, h, dy));
    }

    private static ImagePatch Empty(ImagePatch like) => new(like.X0, like.Y0, like.W, like.H, new float[like.W * like.H]);

    private static DerivativePatch Wrap(int image, ImagePatch p, double scale = 1.0) => new(image, p.X0, p.Y0, p.W, p.H, p.Values, scale);

    /// <summary>Stepped renders of the source being differentiated, per (render class, slot).</summary>
    private sealed class StepCache
    {
        private const int Slots = 6, DiffSlots = 8;
        private readonly ImagePatch?[] _patch;
        private readonly bool[] _valid;
        private readonly ImagePatch?[] _diff;
        public StepCache(int nclass) { _patch = new ImagePatch?[nclass * Slots]; _valid = new bool[nclass * Slots]; _diff = new ImagePatch?[nclass * DiffSlots]; }
        public void Reset() { Array.Clear(_valid); Array.Clear(_patch); Array.Clear(_diff); }
        /// <summary>Per-unit-flux derivative shapes (slots 0–5 as the stepped renders, 6/7: galaxy grid x/y).</summary>
        public bool TryGetDifference(int cls, int slot, out ImagePatch? p) { p = _diff[cls * DiffSlots + slot]; return p is not null; }
        public void SetDifference(int cls, int slot, ImagePatch p) => _diff[cls * DiffSlots + slot] = p;
        public bool TryGet(int cls, int slot, out ImagePatch? p) { p = _patch[cls * Slots + slot]; return _valid[cls * Slots + slot]; }
        public void Set(int cls, int slot, ImagePatch? p) { _patch[cls * Slots + slot] = p; _valid[cls * Slots + slot] = true; }
    }

    /// <summary>
    /// Unit-flux patches per (source, render class), valid while the source's geometry is
    /// unchanged (the patch depends on nothing else; PSFs and images are immutable).
    /// </summary>
    private sealed class PatchCache
    {
        private readonly (SourceKey Key, ImagePatch? Patch, bool Valid)[] _slots;
        private readonly int _nimg;
        public PatchCache(int nsrc, int nimg) { _nimg = nimg; _slots = new (SourceKey, ImagePatch?, bool)[nsrc * nimg]; }
        public bool TryGet(int s, int k, in SourceKey key, out ImagePatch? p)
        {
            var e = _slots[s * _nimg + k];
            p = e.Patch;
            return e.Valid && e.Key.Equals(key);
        }
        public void Set(int s, int k, in SourceKey key, ImagePatch? p) => _slots[s * _nimg + k] = (key, p, true);
    }
}

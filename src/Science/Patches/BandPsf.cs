using System.Globalization;
using System.Text.RegularExpressions;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Psf.Models;

namespace Tract7dt.Science.Patches;

/// <summary>
/// The per-band PSF audit record (docs/fitting.md §3; docs/outputs.md §9.4 <c>psf_audit</c>).
/// </summary>
/// <param name="EpsfPath">Absolute path of <c>EPSFs/&lt;band&gt;/&lt;cell&gt;/epsf.npy</c>.</param>
/// <param name="EpsfExists">Whether that file exists.</param>
/// <param name="UsedEpsf">Whether the band's PSF is built from it.</param>
/// <param name="FallbackReason">Null, <c>missing ePSF</c> or <c>low-star ePSF (…)</c>.</param>
/// <param name="EpsfNstarsUsed"><c>nstars_used</c> of the cell's meta.json, when read.</param>
/// <param name="MinEpsfNstarsForUse">The gate, floored at 0.</param>
/// <param name="PsfModel">Config spelling of the model used (<c>pixelized</c>, …, <c>moffat</c>, …).</param>
public sealed record PsfAudit(string EpsfPath, bool EpsfExists, bool UsedEpsf, string? FallbackReason,
    int? EpsfNstarsUsed, int MinEpsfNstarsForUse, string PsfModel);

/// <summary>A band's PSF for one patch, with its audit record and a one-line description.</summary>
/// <param name="Frozen">True for Gaussian-mixture PSFs (listed in <c>psf_frozen_bands_for_optimizer</c>;
/// every PSF is fixed in our fit, README fix #10).</param>
public sealed record BandPsfChoice(string Band, IPsf Psf, PsfAudit Audit, string Description, bool Frozen);

/// <summary>The PSF settings of <c>patch_run</c> and <c>moffat_psf</c>.</summary>
public sealed record PsfSettings
{
    public PsfModel Model { get; init; } = PsfModel.Pixelized;
    public PsfFallbackModel Fallback { get; init; } = PsfFallbackModel.Moffat;
    /// <summary>How pixelized PSFs (ePSF stamps, hybrid) move to sub-pixel positions.</summary>
    public SubpixelShift Shift { get; init; } = SubpixelShift.Fourier;
    public int MinEpsfNstarsForUse { get; init; } = 2;
    public int NcircularGaussianN { get; init; } = 3;
    public int HybridPsfN { get; init; } = 9;
    public int GaussianMixtureN { get; init; } = 4;
    /// <summary>[pix] FWHM when the header gives none.</summary>
    public double FallbackDefaultFwhmPix { get; init; } = 4.0;
    /// <summary>[pix] half-size of the synthetic Gaussian stamp.</summary>
    public double FallbackStampRadiusPix { get; init; } = 25.0;
    public double MoffatBeta { get; init; } = 3.5;
    /// <summary>[pix] Moffat stamp half-size.</summary>
    public double MoffatRadiusPix { get; init; } = 25.0;

    public static PsfSettings From(PipelineConfig c) => new()
    {
        Model = c.PatchRun.PsfModel,
        Fallback = c.PatchRun.PsfFallbackModel,
        Shift = c.PatchRun.PsfSubpixelShift == PsfSubpixelShiftMode.Lanczos3 ? SubpixelShift.Lanczos3 : SubpixelShift.Fourier,
        MinEpsfNstarsForUse = c.PatchRun.MinEpsfNstarsForUse,
        NcircularGaussianN = c.PatchRun.NcircularGaussianN,
        HybridPsfN = c.PatchRun.HybridPsfN,
        GaussianMixtureN = c.PatchRun.GaussianMixtureN,
        FallbackDefaultFwhmPix = c.PatchRun.FallbackDefaultFwhmPix,
        FallbackStampRadiusPix = c.PatchRun.FallbackStampRadiusPix,
        MoffatBeta = c.MoffatPsf.Beta,
        MoffatRadiusPix = c.MoffatPsf.RadiusPix,
    };
}

/// <summary>
/// Chooses each band's PSF for a patch (docs/fitting.md §3): the cell's ePSF when it
/// exists and passes the star-count gate, else the configured fallback with the header
/// seeing (or <c>fallback_default_fwhm_pix</c>), floored at 1 pixel.
/// </summary>
public static partial class BandPsfSelector
{
    /// <param name="band">Band name.</param>
    /// <param name="headerFwhmPix">Header seeing FWHM [pix] carried by the payload, or null.</param>
    /// <param name="epsfNpy">Path of the cell's <c>epsf.npy</c>.</param>
    /// <param name="epsfMeta">Path of the cell's <c>meta.json</c>.</param>
    public static BandPsfChoice Choose(string band, double? headerFwhmPix, string epsfNpy, string epsfMeta, PsfSettings s, Log log)
    {
        string npy = Path.GetFullPath(epsfNpy);
        bool exists = File.Exists(npy);
        int m = Math.Max(0, s.MinEpsfNstarsForUse);
        bool use = exists;
        string reason = "missing ePSF";
        int? nstars = null;
        if (exists && m > 0 && File.Exists(epsfMeta))
        {
            try
            {
                var match = NstarsPattern().Match(File.ReadAllText(epsfMeta));
                if (match.Success && match.Groups[1].Value != "null")
                    nstars = (int)double.Parse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or FormatException or OverflowException or UnauthorizedAccessException)
            {
                log.Warn($"[PSF] {band}: cannot read {epsfMeta}: {e.Message}; the ePSF is used without the star-count gate");
            }
            if (nstars is { } n && n < m)
            {
                use = false;
                reason = string.Create(CultureInfo.InvariantCulture, $"low-star ePSF (nstars_used={n} < min_epsf_nstars_for_use={m})");
                log.Warn($"[PSF] {band}: {reason} at {npy}");
            }
        }

        if (use)
        {
            var table = LoadStamp(npy, out int tw, out int th);
            int oversampling = ReadOversampling(epsfMeta, band, log);
            var stamp = AtImagePixels(table, tw, th, oversampling, out int w, out int h);
            if (oversampling > 1)
                log.Info(string.Create(CultureInfo.InvariantCulture,
                    $"[PSF] {band}: ePSF oversampled {oversampling}x; sampled at whole image pixels -> {w}x{h}"));
            string model = ConfigName(s.Model);
            var audit = new PsfAudit(npy, true, true, null, nstars, m, model);
            string cacheKey = string.Create(CultureInfo.InvariantCulture,
                $"epsf|{model}|{s.Shift}|{s.HybridPsfN}|{s.GaussianMixtureN}|{tw}x{th}/{oversampling}|{IO.ContentHash.OfBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(table.AsSpan()))}");
            IPsf psf = Cached(cacheKey, () =>
            {
                // oversampled: point sources are moved on the ePSF's own grid (no ringing on undersampled bands)
                var pix = oversampling > 1 ? PixelizedPsf.FromOversampled(table, tw, th, oversampling, s.Shift)
                                           : PixelizedPsf.ForFit(stamp, w, h, s.Shift);
                return s.Model switch
                {
                    PsfModel.GaussianMixtureFromStamp => GaussianMixturePsf.FromStamp(stamp, w, h, Math.Max(1, s.GaussianMixtureN)),
                    PsfModel.Hybrid => HybridPixelizedPsf.FromStamp(pix, s.HybridPsfN),
                    _ => pix,
                };
            });
            string desc = $"ePSF {model} ({w}x{h}) from {npy}";
            log.Info($"[PSF] {band}: using {desc}");
            return new BandPsfChoice(band, psf, audit, desc, psf is GaussianMixturePsf);
        }

        double fwhm;
        if (headerFwhmPix is { } hf && double.IsFinite(hf) && hf > 0) fwhm = hf;
        else
        {
            fwhm = s.FallbackDefaultFwhmPix;
            log.Info(string.Create(CultureInfo.InvariantCulture,
                $"[PSF] {band}: no usable PEEING/SEEING in the header; using patch_run.fallback_default_fwhm_pix={fwhm}"));
        }
        fwhm = Math.Max(fwhm, 1.0);
        string fbKey = string.Create(CultureInfo.InvariantCulture,
            $"fallback|{s.Fallback}|{s.Shift}|{fwhm:R}|{s.NcircularGaussianN}|{s.FallbackStampRadiusPix:R}|{s.GaussianMixtureN}|{s.MoffatBeta:R}|{s.MoffatRadiusPix:R}");
        IPsf fb = Cached(fbKey, () => s.Fallback switch
        {
            PsfFallbackModel.NCircularGaussian => NCircularGaussianPsf.ForFwhm(fwhm, s.NcircularGaussianN),
            PsfFallbackModel.GaussianMixture => GaussianStampMixture(fwhm, s.FallbackStampRadiusPix, Math.Max(1, s.GaussianMixtureN)),
            _ => new MoffatPsf(fwhm, s.MoffatBeta, s.MoffatRadiusPix, s.Shift),
        });
        string fdesc = fb switch
        {
            MoffatPsf mp => mp.ToString(),
            NCircularGaussianPsf nc => string.Create(CultureInfo.InvariantCulture,
                $"NCircularGaussianPSF(sigmas=[{string.Join(", ", nc.Sigmas.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}], weights=[{string.Join(", ", nc.Weights.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)))}])"),
            _ => string.Create(CultureInfo.InvariantCulture, $"GaussianMixturePSF(N={Math.Max(1, s.GaussianMixtureN)}, fwhm_pix={fwhm:F3})"),
        };
        log.Info($"[PSF] {band}: {reason} at {npy} -> fallback {fdesc}");
        var fa = new PsfAudit(npy, exists, false, reason, nstars, m, ConfigName(s.Fallback));
        return new BandPsfChoice(band, fb, fa, fdesc, fb is GaussianMixturePsf);
    }

    // PSFs are immutable and thread-safe, and every patch of a cell × band builds the same one
    // (the EM fits of hybrid, mixture and Moffat PSFs cost tens of ms each): build each once.
    // Keys hold every input of the construction, so a hit is the identical object.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<IPsf>> Cache = new(StringComparer.Ordinal);
    private const int CacheLimit = 512;

    private static IPsf Cached(string key, Func<IPsf> build)
    {
        if (Cache.Count > CacheLimit) Cache.Clear();
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<IPsf>(build, LazyThreadSafetyMode.ExecutionAndPublication));
        try { return lazy.Value; }
        catch
        {
            Cache.TryRemove(key, out _); // a failed build is not cached: the error repeats with its own message
            throw;
        }
    }

    /// <summary>
    /// <c>cfg.oversamp</c> of the cell's meta.json; 1 when the file or the key is absent (an
    /// ePSF written by hand is taken as sampled at image pixels).
    /// </summary>
    public static int ReadOversampling(string epsfMeta, string band, Log log)
    {
        if (!File.Exists(epsfMeta)) return 1;
        try
        {
            var match = OversampPattern().Match(File.ReadAllText(epsfMeta));
            return match.Success ? Math.Max(1, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)) : 1;
        }
        catch (Exception e) when (e is IOException or FormatException or OverflowException or UnauthorizedAccessException)
        {
            log.Warn($"[PSF] {band}: cannot read the oversampling from {epsfMeta}: {e.Message}; the ePSF is taken as sampled at image pixels");
            return 1;
        }
    }

    [GeneratedRegex("\"oversamp\"\\s*:\\s*(\\d+)")]
    private static partial Regex OversampPattern();

    /// <summary>The ePSF stamp: non-finite values → 0, divided by its sum when the sum is &gt; 0.</summary>
    public static float[] LoadStamp(string npy, out int width, out int height)
    {
        NpyArray<float> a;
        try { a = Npy.ReadFloat(npy); }
        catch (Exception e) when (e is not Tract7dtException)
        {
            throw new Tract7dtException(ErrorCodes.EpsfUnreadable, $"Cannot read the ePSF stamp {npy}: {e.Message}. Rerun 'tract7dt run-epsf'.", e);
        }
        width = a.Cols;
        height = a.Rows;
        Psf.Stage.EpsfStampCheck.Require(a.Data, width, height, npy);
        return UnitSum(a.Data);
    }

    /// <summary>A unit-sum ePSF stamp as the image-pixel PSF: itself, or <see cref="Decimate"/>d when oversampled.</summary>
    private static float[] AtImagePixels(float[] stamp, int width, int height, int oversampling, out int outWidth, out int outHeight)
    {
        if (oversampling > 1) return PixelizedPsf.Decimate(stamp, width, height, oversampling, out outWidth, out outHeight);
        (outWidth, outHeight) = (width, height);
        return stamp;
    }

    /// <summary>Non-finite values → 0, then divided by the sum when it is &gt; 0 (in place).</summary>
    private static float[] UnitSum(float[] v)
    {
        double sum = 0;
        for (int i = 0; i < v.Length; i++)
        {
            if (!float.IsFinite(v[i])) v[i] = 0f;
            sum += v[i];
        }
        float fs = (float)sum;
        if (fs > 0) for (int i = 0; i < v.Length; i++) v[i] /= fs;
        return v;
    }

    /// <summary>
    /// The choice with each point source drawn with the band model at its own place
    /// (<see cref="PatchPsfGrid"/>), when the ePSF stage wrote the patch's grid of places and
    /// the PSF is the pixelized ePSF; otherwise the choice unchanged (mixture and hybrid PSFs
    /// are fitted to one stamp, and the fallbacks do not vary).
    /// </summary>
    /// <param name="gridNpy">The patch's <c>epsf_pr##_pc##_grid.npy</c>, or null.</param>
    /// <param name="centreX">Patch pixel x of the patch's base-box centre.</param>
    /// <param name="centreY">Patch pixel y of that centre.</param>
    /// <param name="halfWidth">Half the base box's width [px].</param>
    /// <param name="halfHeight">Half its height [px].</param>
    public static BandPsfChoice WithGrid(BandPsfChoice choice, string? gridNpy, string epsfMeta, double centreX, double centreY,
        double halfWidth, double halfHeight, PsfSettings s, Log log)
    {
        if (gridNpy is null || !choice.Audit.UsedEpsf || s.Model != PsfModel.Pixelized || choice.Psf is not PixelizedPsf centre
            || !(halfWidth > 0) || !(halfHeight > 0))
            return choice;
        var (stamps, n) = Psf.Stage.PatchPsfGridFile.Read(gridNpy);
        int oversampling = ReadOversampling(epsfMeta, choice.Band, log);
        for (int g = 0; g < stamps.Length; g++) stamps[g] = UnitSum(stamps[g]);
        // the stamps stay at the ePSF's sampling: an oversampled grid moves its point sources on it
        var grid = new PatchPsfGrid(stamps, n, n, centreX, centreY, halfWidth, halfHeight, s.Shift, oversampling);
        int w = grid.Width, h = grid.Height;
        if (w != centre.Width || h != centre.Height)
            throw new Tract7dtException(ErrorCodes.EpsfUnreadable,
                $"The patch PSF grid {gridNpy} holds {w}×{h} stamps but the patch's ePSF is {centre.Width}×{centre.Height}; " +
                "the two files are from different ePSF runs. Rerun 'tract7dt run-epsf'.");
        log.Info(string.Create(CultureInfo.InvariantCulture,
            $"[PSF] {choice.Band}: each point source takes the band model at its place (3x3 grid of {w}x{h} stamps from {Path.GetFullPath(gridNpy)})"));
        return choice with { Psf = grid, Description = choice.Description + " + per-source grid" };
    }

    /// <summary>docs/fitting.md §3.5: a unit-sum circular Gaussian stamp of half-size max(1, ⌈r⌉), then an EM mixture fit.</summary>
    public static GaussianMixturePsf GaussianStampMixture(double fwhmPix, double radiusPix, int n)
    {
        double sigma = Math.Max(fwhmPix / 2.3548200450309493, 1e-3);
        int r = Math.Max(1, (int)Math.Ceiling(radiusPix)), size = 2 * r + 1;
        var raw = new double[size * size];
        double sum = 0;
        for (int y = -r; y <= r; y++)
            for (int x = -r; x <= r; x++)
            {
                double v = Math.Exp(-(x * x + y * y) / (2 * sigma * sigma));
                raw[(y + r) * size + x + r] = v;
                sum += v;
            }
        if (!double.IsFinite(sum) || sum <= 0)
            throw new Tract7dtException(ErrorCodes.PsfInvalid, $"Synthetic Gaussian stamp sum is {sum} for FWHM {fwhmPix} px.");
        var stamp = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++) stamp[i] = (float)(raw[i] / sum);
        return GaussianMixturePsf.FromStamp(stamp, size, size, n);
    }

    private static string ConfigName<T>(T value) where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttributes(typeof(ConfigNameAttribute), false)
            .OfType<ConfigNameAttribute>().FirstOrDefault()?.Name ?? value.ToString().ToLowerInvariant();

    [GeneratedRegex("\"nstars_used\"\\s*:\\s*(null|-?[0-9]+(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)")]
    private static partial Regex NstarsPattern();

    /// <summary>The <c>flux_model_error</c> of an ePSF's meta.json (0 when absent, NaN or unreadable).</summary>
    public static double FluxModelError(string epsfMeta)
    {
        try
        {
            if (!File.Exists(epsfMeta)) return 0;
            var m = ModelErrorPattern().Match(File.ReadAllText(epsfMeta));
            return m.Success && double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                && double.IsFinite(v) && v > 0 ? v : 0;
        }
        catch (IOException) { return 0; }
    }

    [GeneratedRegex("\"flux_model_error\":\\s*([-+0-9.eE]+)")]
    private static partial Regex ModelErrorPattern();
}

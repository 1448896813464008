using Tract7dt.Science.Imaging;
using Tract7dt.Science.Numerics;
using Tract7dt.Science.Psf.Epsf;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// One band's pixels of one ePSF cell and what the band contributes to its star selection.
/// Arrays are cell-sized, <c>[y*Width + x]</c>, cell-local pixels.
/// </summary>
/// <param name="Band">Band name (FILTER).</param>
/// <param name="Tag">Cell tag <c>rRR_cCC</c>.</param>
/// <param name="Box">The cell in white-frame pixels (half-open).</param>
/// <param name="Image">Scaled flux.</param>
/// <param name="Sigma">Sky-only σ, scaled; +∞ on bad pixels.</param>
/// <param name="Bad">Non-zero = bad (non-finite or saturated).</param>
/// <param name="SaturationScaled">SATURATE·scale of the band, or null (no saturation tests).</param>
/// <param name="ForcedRadius">Forced-aperture radius r_f of the band (pixels), or null.</param>
/// <param name="SeedX">The band's Gaia seeds, white-frame x (file order; every seed of the band).</param>
/// <param name="SeedY">The band's Gaia seeds, white-frame y.</param>
/// <param name="BandCandidates">Variant B only: the band-wide sorted SEP candidates (white-frame pixels).</param>
/// <param name="SigmaTotal">1-σ error including the sources' photon noise (scaled units), or null:
/// weights of the weighted residual stack.</param>
/// <param name="Neighbours">Catalogue sources (white-frame pixels) masked in the star stamps, or null.</param>
/// <param name="FwhmPix">The band's FWHM from its header [pixels], or null: sets the neighbour masks.</param>
public sealed record EpsfCellInput(
    string Band, string Tag, PixelBox Box, float[] Image, float[] Sigma, byte[] Bad,
    double? SaturationScaled, double? ForcedRadius, float[] SeedX, float[] SeedY, StarCandidates? BandCandidates = null,
    float[]? SigmaTotal = null, Neighbours? Neighbours = null, double? FwhmPix = null)
{
    public int Width => Box.Width;

    public int Height => Box.Height;

    /// <summary>This input with its pixel arrays empty (<see cref="EpsfCellResult.WithoutPixels"/>).</summary>
    public EpsfCellInput WithoutPixels() => this with { Image = [], Sigma = [], Bad = [], SigmaTotal = null };
}

/// <summary>The <c>residual_qa</c> record and the stacks the residual plot shows.</summary>
/// <param name="NStars">Stars stacked.</param>
/// <param name="Bias">nan-median of the median residual image.</param>
/// <param name="Rms">sqrt(nan-mean(v²)) of the median residual image.</param>
/// <param name="NormBias">Median of the normalised residuals (data − model)/σ of all stacked stars.</param>
/// <param name="NormRms">RMS of those.</param>
/// <param name="MedianData">Pixel-wise median of the star stamps (stamp-sized), or null.</param>
/// <param name="MedianModel">Pixel-wise median of the registered models.</param>
/// <param name="MedianResidual">Pixel-wise median of the residuals.</param>
/// <param name="NormResiduals">Every finite normalised residual value.</param>
public sealed record ResidualQa(int NStars, double Bias, double Rms, double NormBias, double NormRms,
    float[]? MedianData = null, float[]? MedianModel = null, float[]? MedianResidual = null, float[]? NormResiduals = null)
{
    public static ResidualQa None { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>The <c>local_bkg_diagnostics</c> record (docs/outputs.md §6.2).</summary>
/// <param name="Attempted">False → written as <c>{"local_bkg_diag_nstars": 0}</c> alone.</param>
public sealed record LocalBackgroundDiagRecord(bool Attempted, int NStars, string? Status, string? Message)
{
    public static LocalBackgroundDiagRecord NotAttempted { get; } = new(false, 0, null, null);
}

/// <summary>Everything one cell produced: the meta.json values, the ePSF and the arrays its plots show.</summary>
public sealed record EpsfCellResult
{
    public required EpsfCellInput Input { get; init; }

    /// <summary><c>"ok"</c> or <c>"fail"</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Failure text (<c>"None returned"</c> when there was nothing to build from), null on success.</summary>
    public string? Error { get; init; }

    /// <summary>True for the "builder raised or used no star" failure (meta.json then carries <c>local_star_background</c>).</summary>
    public bool BuilderFailed { get; init; }

    public required CellBackgroundRecord Background { get; init; }

    /// <summary>Image the stars were selected and cut on (background-subtracted in variant A); null
    /// once the pixels are released (<see cref="WithoutPixels"/>).</summary>
    public float[]? Selected { get; init; }

    /// <summary>Background map (variant A), else null; null too once the pixels are released.</summary>
    public float[]? BackgroundMap { get; init; }

    /// <summary>True when the cell background was estimated and subtracted (variant A), the
    /// estimate's failure included (its map is then 0).</summary>
    public required bool BackgroundSubtracted { get; init; }

    /// <summary>Far-sky level of each of <see cref="RawStamps"/> (<see cref="BandPsfField.RawStampSky"/>),
    /// kept when the pixels are released with the band model on; else null.</summary>
    public IReadOnlyList<double>? RawStampSky { get; init; }

    /// <summary>The mesh <see cref="BackgroundMap"/> comes from (null when none was subtracted or it failed).</summary>
    public Detection.Background? BackgroundModel { get; init; }

    public required int NStarsSeed { get; init; }

    /// <summary>SEP candidates kept out of the fill pass as extended (<see cref="ExtendedSourceFilter"/>).</summary>
    public int NCandidatesExtended { get; init; }

    public required IReadOnlyList<PsfStar> Stars { get; init; }

    /// <summary>Stamps as cut (before the local background), in star order.</summary>
    public IReadOnlyList<EpsfStar> RawStamps { get; init; } = [];

    /// <summary>Stamps handed to the builder (after the local background when on).</summary>
    public IReadOnlyList<EpsfStar> Stamps { get; init; } = [];

    /// <summary>Per-star annulus records (empty when local subtraction is off).</summary>
    public IReadOnlyList<LocalBackgroundRecord> LocalRecords { get; init; } = [];

    public EpsfBuildResult? Build { get; init; }

    /// <summary>The written ePSF (cropped, unit sum) and its QA; null unless ok.</summary>
    public EpsfProduct? Product { get; init; }

    public ResidualQa Residual { get; init; } = ResidualQa.None;

    public LocalBackgroundDiagRecord LocalDiag { get; init; } = LocalBackgroundDiagRecord.NotAttempted;

    /// <summary>What the band model did to this cell (<c>epsf.psf_field: band</c>), else null.</summary>
    public BandFieldRecord? Field { get; init; }

    public int NStarsExtract => Stamps.Count;

    /// <summary>Stars that shaped the written ePSF: the cell's own, or with the band model every star of the band.</summary>
    public int NStarsUsed => Status != "ok" ? 0 : Field is { } f ? f.NStarsBand : Build?.Stars.Count ?? 0;

    /// <summary>This result with the band model's ePSF for the cell (status ok).</summary>
    public EpsfCellResult WithField(EpsfProduct product, BandFieldRecord field) =>
        this with { Status = "ok", Error = null, BuilderFailed = false, Product = product, Field = field };

    /// <summary>
    /// This result without the cell's image-sized arrays: its input pixels (image, both σ maps,
    /// bad mask), the selected image and the background map. The stage holds every cell of a
    /// band until the band model is built and the cells are written, and those arrays, read by
    /// nothing after the cell is built, were about five float arrays per pixel of the frame per
    /// band in flight. The band model reads the cell's pixels only for the far sky around its
    /// raw stamps, which is taken here when the band model is on.
    /// </summary>
    public EpsfCellResult WithoutPixels(EpsfCellSettings s) => this with
    {
        Input = Input.WithoutPixels(), Selected = null, BackgroundMap = null,
        RawStampSky = RawStampSky ?? (s.Config.PsfField == Config.EpsfPsfField.Band ? BandPsfField.RawStampSky(this, s) : null),
    };

    public bool IsOk => Status == "ok";

    /// <summary>The catalogue ID of a stamp's star (for montage labels): the catalogue source within
    /// 1.5 px of the star's position, or null (a star the catalogue lacks, or no catalogue at hand).</summary>
    public string? CatalogueIdOf(string id) =>
        Input.Neighbours is { } nb
        && int.TryParse(id, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int i)
        && i >= 0 && i < Stars.Count
            ? nb.IdNear(Input.Box.X0 + Stars[i].X, Input.Box.Y0 + Stars[i].Y, 1.5)
            : null;

    /// <summary>Origin of a stamp's star (for montage frames).</summary>
    public StarOrigin? OriginOf(string id) =>
        int.TryParse(id, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int i)
        && i >= 0 && i < Stars.Count ? Stars[i].Origin : null;
}

/// <summary>
/// Builds the ePSF of one cell of one band, without touching disk (docs/epsf.md §4–§8):
/// cell background (variant A), Gaia seeds in the cell, star selection, stamps with the
/// per-star annulus background, <see cref="EpsfBuilder"/>, crop and normalisation, QA.
/// Too few stars, no weights or a failed build are results (<c>status = "fail"</c>), not
/// exceptions; invalid builder settings throw (they fail the band).
/// </summary>
public static class EpsfCellProcessor
{
    /// <summary>The failure text of a cell with nothing to build from (the original's).</summary>
    public const string NoneReturned = "None returned";

    public static EpsfCellResult Process(EpsfCellInput input, EpsfCellSettings s)
    {
        int w = input.Width, h = input.Height, n = w * h;
        var cfg = s.Config;

        // 1–3. background (variant A) or the raw cell
        float[] selected;
        float[]? bkgMap = null;
        Detection.Background? bkgModel = null;
        CellBackgroundRecord bkg;
        StarCandidates candidates;
        int extended = 0; // variant B has no background-subtracted cell to measure concentration on
        float[]? rmsScratch = null; // the rms map is only summarised: one buffer serves both background passes
        if (cfg.BackgroundSubtractPatch)
        {
            selected = new float[n];
            bkgMap = new float[n];
            rmsScratch = new float[n];
            bkg = CellBackground.Subtract(input.Image, input.Sigma, input.Bad, w, h, s, selected, bkgMap, rmsScratch, out bkgModel);
            candidates = PsfStarSelector.CandidatesVariantA(selected, input.Sigma, input.Bad, w, h, s, input.SaturationScaled);
            if (cfg.RejectExtended)
            {
                double r = input.ForcedRadius is double rf && double.IsFinite(rf) && rf > 0 ? rf : PsfStarSelector.DefaultForcedRadius;
                candidates = ExtendedSourceFilter.Apply(candidates, selected, input.Bad, w, h, r, out extended);
            }
        }
        else
        {
            selected = input.Image;
            bkg = CellBackgroundRecord.Disabled(input.Bad);
            candidates = input.BandCandidates is { } bc
                ? PsfStarSelector.CandidatesVariantBCell(bc, input.Box, s.Need)
                : StarCandidates.Empty;
        }

        // 4. seeds strictly inside the cell interior, local, rounded to float32
        int need = s.Need;
        var sx = new List<float>(); var sy = new List<float>();
        for (int k = 0; k < input.SeedX.Length; k++)
        {
            double gx = input.SeedX[k], gy = input.SeedY[k];
            if (gx >= input.Box.X0 + need && gx < input.Box.X1 - need - 1 && gy >= input.Box.Y0 + need && gy < input.Box.Y1 - need - 1)
            {
                sx.Add((float)(gx - input.Box.X0)); sy.Add((float)(gy - input.Box.Y0));
            }
        }

        // 5. selection
        var stars = PsfStarSelector.Select(selected, input.Sigma, input.Bad, w, h, sx.ToArray(), sy.ToArray(), candidates, s,
            input.SaturationScaled, input.ForcedRadius);

        EpsfCellResult Fail(string error, bool builderFailed, IReadOnlyList<EpsfStar>? raw = null, IReadOnlyList<EpsfStar>? st = null,
            IReadOnlyList<LocalBackgroundRecord>? rec = null, EpsfBuildResult? build = null) => new()
        {
            Input = input, Status = "fail", Error = error, BuilderFailed = builderFailed, Background = bkg, Selected = selected,
            BackgroundMap = bkgMap, BackgroundSubtracted = bkgMap is not null, BackgroundModel = bkgModel, NStarsSeed = sx.Count,
            NCandidatesExtended = extended, Stars = stars, RawStamps = raw ?? [], Stamps = st ?? [],
            LocalRecords = rec ?? [], Build = build,
        };

        if (stars.Count == 0) return Fail(NoneReturned, false);

        // 2.7 step 2: error map 1/sqrt(ivar), bad pixels at the median error of the valid ones
        var err = new float[n];
        var valid = System.Buffers.ArrayPool<double>.Shared.Rent(n); // cell-sized, only for the median
        int nValid = 0;
        double medValid;
        try
        {
            for (int k = 0; k < n; k++)
            {
                float sg = input.Sigma[k];
                if (input.Bad[k] == 0 && float.IsFinite(sg) && sg > 0)
                {
                    float ivar = 1f / MathF.Max(sg * sg, 1e-12f);
                    err[k] = 1f / MathF.Sqrt(ivar);
                    valid[nValid++] = err[k];
                }
                else err[k] = float.NaN;
            }
            medValid = ClippedStats.MedianInPlace(valid.AsSpan(0, nValid));
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(valid);
        }
        if (nValid == 0) return Fail(NoneReturned, false);
        float medErr = (float)medValid;
        for (int k = 0; k < n; k++) if (float.IsNaN(err[k])) err[k] = medErr;

        // 2.7 step 3: stamps (positions read back from float32)
        var px = stars.Select(p => (double)p.X).ToArray();
        var py = stars.Select(p => (double)p.Y).ToArray();
        var ids = stars.Select(p => p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var (raw, stamps, records) = Stamps(selected, err, w, h, px, py, ids, input, s);
        if (raw.Count == 0) return Fail(NoneReturned, false);

        // 2.8: build, then crop / normalise / QA
        var build = EpsfBuilder.Build(stamps, s.Builder);
        if (!build.IsOk || build.Data is null || build.Stars.Count <= 0)
            return Fail($"{build.Status}: {build.Reason}", true, raw, stamps, records, build);

        // Ours (epsf.background_star_subtract): the cell background was measured with the PSF
        // stars' wings in it, which pull the mesh levels up around them and so take light from
        // the very wings the ePSF is built of. Measure it again with the stars removed by the
        // ePSF just built, and rebuild from stamps cut on that background.
        if (cfg.BackgroundSubtractPatch && cfg.BackgroundStarSubtract && bkgMap is not null)
        {
            var starless = WithoutStars(input.Image, w, h, build, raw);
            var selected2 = new float[n];
            var map2 = new float[n];
            // the starless image minus its background is not wanted: selected2 takes it and is then
            // made from the image itself
            var bkg2 = CellBackground.Subtract(starless, input.Sigma, input.Bad, w, h, s, selected2, map2, rmsScratch!, out var model2);
            if (bkg2.Status == "ok")
            {
                for (int k = 0; k < n; k++) selected2[k] = input.Image[k] - map2[k];
                var (raw2, stamps2, records2) = Stamps(selected2, err, w, h, px, py, ids, input, s);
                var build2 = raw2.Count == raw.Count ? EpsfBuilder.Build(stamps2, s.Builder) : null;
                if (build2 is { IsOk: true, Data: not null } && build2.Stars.Count > 0)
                {
                    (selected, bkgMap, bkgModel, bkg, raw, stamps, records, build) = (selected2, map2, model2, bkg2, raw2, stamps2, records2, build2);
                }
            }
        }
        var product = EpsfPostProcess.Finish(build.Data!, build.Size, build.Oversampling, cfg.FinalPsfSize);

        var residual = cfg.SaveResidualDiagnostics ? Residuals(build, stamps, cfg.ResidualDiagMaxStars) : ResidualQa.None;
        var diag = LocalBackgroundDiagRecord.NotAttempted;
        if (cfg.StarLocalBkgSubtract && cfg.SaveStarLocalBackgroundDiagnostics && records.Count > 0)
            diag = LocalDiagnosticRecord(build.Stars.Select(st => st.Id).ToList());

        return new EpsfCellResult
        {
            Input = input, Status = "ok", Background = bkg, Selected = selected, BackgroundMap = bkgMap,
            BackgroundSubtracted = bkgMap is not null, BackgroundModel = bkgModel,
            NStarsSeed = sx.Count, NCandidatesExtended = extended, Stars = stars, RawStamps = raw, Stamps = stamps, LocalRecords = records,
            Build = build, Product = product, Residual = residual, LocalDiag = diag,
        };
    }

    /// <summary>The label check of the per-star background plot: every used star needs a unique, non-empty id.</summary>
    public static LocalBackgroundDiagRecord LocalDiagnosticRecord(IReadOnlyList<string?> ids)
    {
        if (ids.Count == 0) return new(true, 0, "skipped_no_stars", null);
        if (ids.Any(string.IsNullOrWhiteSpace))
            return new(true, 0, "skipped_missing_id_label", "Missing id_label detected in used stars.");
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
            return new(true, 0, "skipped_duplicate_id_label", "Duplicate id_label detected in used stars.");
        return new(true, ids.Count, "ok", null);
    }

    /// <summary>Radius, in FWHM, inside which the PSF stars are removed before the second background.</summary>
    private const double StarModelRadiusFwhm = 4.0;

    /// <summary>Stamps at the selected positions (2.7 step 3) and, when on, their per-star
    /// annulus background (2.7 step 4): (as cut, as handed to the builder, annulus records).</summary>
    private static (IReadOnlyList<EpsfStar> Raw, IReadOnlyList<EpsfStar> Stamps, List<LocalBackgroundRecord> Records) Stamps(
        float[] selected, float[] err, int w, int h, double[] px, double[] py, string[] ids, EpsfCellInput input, EpsfCellSettings s)
    {
        var raw = StarStamps.Extract(selected, err, w, h, px, py, ids, s.CutoutSize, input.SigmaTotal).Stars;
        if (s.Config.MaskNeighbours && input.Neighbours is { Count: > 0 } nb && input.FwhmPix is double fwhm && fwhm > 0)
        {
            var kept = new List<EpsfStar>(raw.Count);
            double skySigma = SkySigma(input.Sigma);
            foreach (var st in raw)
                if (NeighbourMask.Apply(st, nb, input.Box.X0, input.Box.Y0, fwhm, skySigma, out _) is { } m) kept.Add(m);
            raw = kept;
        }
        var records = new List<LocalBackgroundRecord>();
        if (!s.Config.StarLocalBkgSubtract) return (raw, raw, records);
        var sub = new List<EpsfStar>(raw.Count);
        foreach (var st in raw)
        {
            var (star, rec) = StarLocalBackground.Subtract(st, s.LocalBackground);
            sub.Add(star);
            records.Add(rec);
        }
        return (raw, sub, records);
    }

    /// <summary>Median finite sky σ of the cell (the neighbour masks' noise level).</summary>
    private static double SkySigma(float[] sigma)
    {
        var v = new List<double>(sigma.Length / 16 + 1);
        for (int k = 0; k < sigma.Length; k += 16) if (float.IsFinite(sigma[k]) && sigma[k] > 0) v.Add(sigma[k]);
        return v.Count == 0 ? double.NaN : ClippedStats.MedianInPlace(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(v));
    }

    /// <summary>
    /// The cell with every built star's model F·E(x − c) removed within
    /// <see cref="StarModelRadiusFwhm"/> FWHM of it (fitted centre and flux, the builder's
    /// un-normalised ePSF through its spline): the image the background is measured on
    /// again. Stars whose fit failed stay in. Only the part of the model with signal is
    /// removed: the ePSF's outskirts carry its noise and any pedestal the first background
    /// left, and removing those over whole stamps would feed that pedestal back into the
    /// second background.
    /// </summary>
    private static float[] WithoutStars(float[] image, int w, int h, EpsfBuildResult build, IReadOnlyList<EpsfStar> stamps)
    {
        var outImg = (float[])image.Clone();
        int nE = build.Size, o = build.Oversampling;
        double cE = (nE - 1) / 2.0;
        var grid = new SplineGrid(nE, nE);
        grid.Fit(build.Data);
        var e32 = new float[build.Data!.Length];
        for (int k = 0; k < e32.Length; k++) e32[k] = double.IsFinite(build.Data[k]) ? (float)build.Data[k] : 0f;
        double fwhm = EpsfPostProcess.Fwhm(e32, nE, o);
        double r = StarModelRadiusFwhm * (double.IsFinite(fwhm) && fwhm > 0 ? fwhm : 3.0), r2 = r * r;
        foreach (var fitted in build.Stars)
        {
            if (fitted.FitFailed || !(fitted.Flux > 0) || !double.IsFinite(fitted.Flux)) continue;
            var st = stamps.FirstOrDefault(q => q.Id == fitted.Id);
            if (st is null) continue;
            for (int j = 0; j < st.Size; j++)
            {
                int y = st.OriginY + j;
                if (y < 0 || y >= h) continue;
                double v = o * (j - fitted.CenterY) + cE;
                if (v < 0 || v > nE - 1) continue;
                for (int i = 0; i < st.Size; i++)
                {
                    int x = st.OriginX + i;
                    if (x < 0 || x >= w) continue;
                    double u = o * (i - fitted.CenterX) + cE;
                    if (u < 0 || u > nE - 1) continue;
                    double dx = i - fitted.CenterX, dy = j - fitted.CenterY;
                    if (dx * dx + dy * dy > r2) continue;
                    int k = y * w + x;
                    if (float.IsFinite(outImg[k])) outImg[k] = (float)(outImg[k] - fitted.Flux * grid.Evaluate(u, v));
                }
            }
        }
        return outImg;
    }

    /// <summary>
    /// Residual diagnostic of docs/epsf.md §12: each of the first <paramref name="maxStars"/>
    /// fitted stars against the uncropped, un-normalised ePSF registered at its fitted centre
    /// and flux; pixel-wise median stacks; statistics. The normalised residual is
    /// (data − model)/σ with σ = 1/weight (the plot's stated quantity).
    /// </summary>
    public static ResidualQa Residuals(EpsfBuildResult build, IReadOnlyList<EpsfStar> stamps, int maxStars)
    {
        if (build.Data is null) return ResidualQa.None;
        int nUse = Math.Min(maxStars, Math.Min(build.Stars.Count, stamps.Count));
        if (nUse <= 0) return ResidualQa.None;
        int size = stamps[0].Size, nE = build.Size, o = build.Oversampling;
        double cE = (nE - 1) / 2.0;
        var grid = new SplineGrid(nE, nE);
        grid.Fit(build.Data);
        int np = size * size;
        var data = new float[nUse * np];
        var model = new float[nUse * np];
        var resid = new float[nUse * np];
        var norm = new List<float>();
        int used = 0;
        for (int s = 0; s < nUse; s++)
        {
            var star = stamps[s];
            var fit = build.Stars[s];
            if (star.Size != size) continue;
            int b = used * np;
            for (int j = 0; j < size; j++)
                for (int i = 0; i < size; i++)
                {
                    int k = j * size + i;
                    double m = fit.Flux * grid.Evaluate(o * (i - fit.CenterX) + cE, o * (j - fit.CenterY) + cE);
                    float d = star.Data[k];
                    data[b + k] = float.IsFinite(d) ? d : float.NaN;
                    model[b + k] = (float)m;
                    float r = (float)(d - m);
                    resid[b + k] = float.IsFinite(r) ? r : float.NaN;
                    double wgt = star.Weights[k];
                    if (float.IsFinite(r) && wgt > 0) norm.Add((float)(r * wgt));
                }
            used++;
        }
        if (used == 0) return ResidualQa.None;
        var md = PixelMedian(data, used, np);
        var mm = PixelMedian(model, used, np);
        var mr = PixelMedian(resid, used, np);
        var (bias, rms) = MedianRms(mr);
        var normArr = norm.ToArray();
        var (nb, nr) = MedianRms(normArr);
        return new ResidualQa(used, bias, rms, nb, nr, md, mm, mr, normArr);
    }

    private static float[] PixelMedian(float[] stack, int layers, int np)
    {
        var outp = new float[np];
        var col = new double[layers];
        for (int k = 0; k < np; k++)
        {
            int c = 0;
            for (int l = 0; l < layers; l++) { float v = stack[l * np + k]; if (float.IsFinite(v)) col[c++] = v; }
            outp[k] = c > 0 ? (float)ClippedStats.MedianInPlace(col.AsSpan(0, c)) : float.NaN;
        }
        return outp;
    }

    /// <summary>nan-median and sqrt(nan-mean(v²)) of the finite values.</summary>
    private static (double Median, double Rms) MedianRms(ReadOnlySpan<float> v)
    {
        var buf = new double[v.Length];
        int n = 0;
        double ss = 0;
        foreach (float x in v) if (float.IsFinite(x)) { buf[n++] = x; ss += (double)x * x; }
        if (n == 0) return (double.NaN, double.NaN);
        return (ClippedStats.MedianInPlace(buf.AsSpan(0, n)), Math.Sqrt(ss / n));
    }
}

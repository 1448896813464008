using Tract7dt.Science.Numerics;
using Tract7dt.Science.Psf.Epsf;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>What the band model did to one cell (meta.json <c>psf_field</c>).</summary>
/// <param name="NStarsBand">Stars of the band model (every cell's, outliers removed).</param>
/// <param name="NStarsCell">The cell's own stars in its core.</param>
/// <param name="NStarsRejected">The cell's stars the band check removed (shape far from the band's).</param>
/// <param name="CellWeight">Share of the cell's own ePSF in its core: n_cell / (n_cell + cell_prior_stars).</param>
/// <param name="CoreRadiusPix">Core radius [image pixels].</param>
/// <param name="WingFraction">Light of the band model outside the core over its light inside.</param>
/// <param name="FluxModelError">Fractional scatter of the band's PSF stars' model fluxes about their aperture
/// fluxes beyond their noise (see <see cref="BandPsfField.HeldOutFluxTest"/>); NaN when too few stars tell.</param>
public sealed record BandFieldRecord(int NStarsBand, int NStarsCell, int NStarsRejected, double CellWeight,
    double CoreRadiusPix, double WingFraction, double FluxModelError = double.NaN);

/// <summary>The band model and each cell's final ePSF.</summary>
/// <param name="Patches">Per cell tag, for each of its patches (patch row, column), the ePSF on the patch's
/// 3×3 grid of places (<see cref="PatchCentre.Grid"/>; element 4 is the centre).</param>
/// <param name="FieldTerms">Polynomial terms of the spatial variation (1: none, 3: linear, 6: quadratic).</param>
public sealed record BandFieldResult(EpsfBuildResult BandBuild, IReadOnlyDictionary<string, (EpsfProduct Product, BandFieldRecord Record)> Cells,
    IReadOnlyDictionary<string, IReadOnlyList<(int Row, int Col, float[][] Grid)>> Patches,
    IReadOnlySet<string> RejectedStars, int FieldTerms);

/// <summary>A patch's centre and half-sizes in the white frame, for the model evaluated over it.</summary>
public readonly record struct PatchCentre(string CellTag, int Row, int Col, double X, double Y, double HalfWidth, double HalfHeight)
{
    /// <summary>The 3×3 grid of places the patch's PSF is sampled at (<c>PatchPsfGrid</c>): x and y at
    /// −1, 0, +1 half-sizes from the centre, row-major with y outer.</summary>
    public IEnumerable<(double X, double Y)> Grid()
    {
        for (int j = -1; j <= 1; j++)
            for (int i = -1; i <= 1; i++)
                yield return (X + i * HalfWidth, Y + j * HalfHeight);
    }
}

/// <summary>
/// One band's PSF from all of its stars (docs/algorithms.md, "The band PSF model").
/// <para>
/// A cell holds a handful of PSF stars. An ePSF built from them alone carries their noise
/// and any neighbour or odd star into its wings, and the unit-sum normalisation over the
/// 55-px stamp hands that error to every flux in the cell (on sparse real fields, cells of
/// one band differed by 10–25 % in their light within 3 px). Here:
/// </para>
/// <list type="number">
/// <item>every star of the band, referred to the sky beyond its stamp (<see cref="FarSky"/>),
/// is stacked into one band ePSF, and the ePSF's variation over the field is fitted as a
/// polynomial in position (<see cref="FieldFit"/>) whose degree is the one that best gives
/// held-out stars their fluxes (<see cref="ChooseDegree"/>);</item>
/// <item>stars whose core disagrees with the model at their place far beyond their noise
/// (doubles, galaxies, bad pixels) are dropped from the band and from their cell;</item>
/// <item>a cell's core (within <c>norm_core_fwhm</c> FWHM) is the field model at its centre
/// plus w·(own − field), w = n_cell / (n_cell + cell_prior_stars), each scaled to unit light
/// in the core;</item>
/// <item>outside the core every cell takes the band's wings, whose light is summed out to
/// 2 r_c and carried by a fitted power law beyond (<see cref="Wings"/>).</item>
/// </list>
/// </summary>
public static class BandPsfField
{
    /// <summary>A star whose core residual exceeds its noise expectation by this fraction of its flux is not a PSF star.</summary>
    public const double OutlierCoreResidual = 0.08;

    /// <summary>Radius of the outlier check, FWHM.</summary>
    private const double CheckRadiusFwhm = 2.0;

    /// <summary>The band model and every cell's ePSF; null when no star of the band could be stacked.</summary>
    /// <param name="cells">Every processed cell of the band (ok or not), in plan order.</param>
    /// <param name="patches">Centres of the patches to evaluate the model at (none: cells only).</param>
    /// <param name="frameWidth">Width of the white frame (normalises the field polynomial).</param>
    /// <param name="frameHeight">Its height.</param>
    public static BandFieldResult? Build(IReadOnlyList<EpsfCellResult> cells, EpsfCellSettings s, IReadOnlyList<PatchCentre> patches,
        int frameWidth, int frameHeight, Action<string>? log = null)
    {
        // The band's stars as cut (after the cell background, before any per-star annulus),
        // each referred to the sky beyond the stamp: see FarSky.
        var pool = new List<EpsfStar>();
        var owner = new Dictionary<string, (int Cell, EpsfStar Star)>(StringComparer.Ordinal);
        for (int c = 0; c < cells.Count; c++)
        {
            var cell = cells[c];
            var skies = cell.RawStampSky ?? RawStampSky(cell, s);
            for (int i = 0; i < cell.RawStamps.Count; i++)
            {
                var st = cell.RawStamps[i];
                string id = cell.Input.Tag + ":" + st.Id;
                double sky = skies[i];
                var copy = Relabel(double.IsFinite(sky) ? st.WithOffsetSubtracted(sky) : st, id);
                pool.Add(copy);
                owner[id] = (c, st);
            }
        }
        if (pool.Count == 0) return null;

        var frameX = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        foreach (var st in pool)
        {
            var (c, _) = owner[st.Id];
            frameX[st.Id] = (cells[c].Input.Box.X0 + st.OriginX, cells[c].Input.Box.Y0 + st.OriginY);
        }
        var rejected = new HashSet<string>(StringComparer.Ordinal);
        EpsfBuildResult band = EpsfBuilder.Build(pool, s.Builder);
        if (!band.IsOk || band.Data is null) return null;
        var field = new FieldFit(band, pool, frameX, frameWidth, frameHeight);
        // Odd stars are judged against the model at their own place, so that a PSF that
        // changes over the field does not make half the stars look odd (the most flexible
        // candidate degree: a star unlike even that is odd).
        int maxReject = pool.Count / 5; // when many stars disagree, the model is what is wrong, not the stars
        for (int pass = 0; pass < 2 && rejected.Count < maxReject; pass++)
        {
            var bad = Outliers(band, pool, field, frameX, s.Builder.Oversampling).Take(maxReject - rejected.Count).ToList();
            if (bad.Count == 0 || bad.Count >= pool.Count - 1) break;
            foreach (var id in bad) rejected.Add(id);
            pool = pool.Where(p => !rejected.Contains(p.Id)).ToList();
            var rebuilt = EpsfBuilder.Build(pool, s.Builder);
            if (!rebuilt.IsOk || rebuilt.Data is null) break;
            band = rebuilt;
            field = new FieldFit(band, pool, frameX, frameWidth, frameHeight);
        }

        var bandProduct = EpsfPostProcess.Finish(band.Data!, band.Size, band.Oversampling, s.Config.FinalPsfSize);
        int n = bandProduct.Size, o = bandProduct.Oversampling;
        double fwhm = double.IsFinite(bandProduct.FwhmPix) && bandProduct.FwhmPix > 0 ? bandProduct.FwhmPix : 3.0;
        double rc = Math.Max(s.Config.NormCoreFwhm * fwhm, 2.0) * o; // ePSF-grid pixels
        rc = Math.Min(rc, (n - 1) / 2.0 - 2);
        var radius = Radii(n);

        var wing = Wings.From(bandProduct.Data, radius, rc);
        double[] CoreOf(double[] e) =>
            CoreNormalised(EpsfPostProcess.Normalise(e, band.Size, s.Config.FinalPsfSize, out _), radius, rc);
        double[] FieldCore(double x, double y) => CoreOf(field.Evaluate(x, y));
        var patchOut = new Dictionary<string, IReadOnlyList<(int, int, float[][])>>(StringComparer.Ordinal);

        // The degree of the field's variation: the one whose held-out models give the stars'
        // fluxes best (FieldFit). Scoring pixels instead would count the per-node noise of the
        // higher degrees, which a flux averages away, and pick too low a degree.
        var tests = HeldOutTests(field, band, pool, frameX, radius, rc, CoreOf, wing);
        field.Use(ChooseDegree(field.Candidates, tests, band.Stars.Count));
        // The model error as the fits meet it: each test star fitted with the model at its place
        // (a patch's fit gives each source the model at its own place, PatchPsfGrid), fitted
        // without the star, over an aperture of two core radii, so that the wings' mismatch
        // counts too.
        double modelError = HeldOutFluxTest(band, pool, frameX, radius, rc,
            (id, x, y) => CoreOf(field.EvaluateHeldOut(field.Terms, id, x, y)), wing, ModelErrorApertureCores).ModelError;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        log?.Invoke($"band model from {band.Stars.Count} stars ({rejected.Count} rejected as unlike the band's PSF); " +
                    $"spatial variation: {FieldFit.TermName(field.Terms)} (held-out flux rms by degree: " +
                    string.Join(", ", field.Candidates.Select(t => string.Create(inv, $"{FieldFit.TermName(t)} {Math.Sqrt(tests[t].Score):P2}"))) +
                    $"; {tests[field.Terms].Stars} test stars)");
        log?.Invoke(double.IsFinite(modelError)
            ? string.Create(inv, $"model flux error of the PSF stars: {modelError:P2}")
            : "model flux error: too few bright PSF stars to tell");

        var outCells = new Dictionary<string, (EpsfProduct, BandFieldRecord)>(StringComparer.Ordinal);
        for (int c = 0; c < cells.Count; c++)
        {
            var cell = cells[c];
            int nRejected = cell.Stamps.Count(st => rejected.Contains(cell.Input.Tag + ":" + st.Id));
            double[]? cellCore = null;
            int nCell = 0;
            if (cell.IsOk && cell.Build is { Data: not null } cb)
            {
                EpsfBuildResult? build = cb;
                if (nRejected > 0)
                {
                    var keep = cell.Stamps.Where(st => !rejected.Contains(cell.Input.Tag + ":" + st.Id)).ToList();
                    build = keep.Count > 0 ? EpsfBuilder.Build(keep, s.Builder) : null;
                    if (build is not { IsOk: true, Data: not null }) build = null;
                }
                if (build is not null)
                {
                    var p = EpsfPostProcess.Finish(build.Data!, build.Size, build.Oversampling, s.Config.FinalPsfSize);
                    if (p.Size == n)
                    {
                        cellCore = CoreNormalised(p.Data, radius, rc);
                        nCell = build.Stars.Count(x => !x.Excluded);
                    }
                }
            }
            double wCell = nCell == 0 ? 0 : nCell / (nCell + Math.Max(0, s.Config.CellPriorStars));
            var box = cell.Input.Box;
            var atCell = FieldCore(0.5 * (box.X0 + box.X1), 0.5 * (box.Y0 + box.Y1));
            // The cell's own stars correct the field model by their weight: at the cell's centre
            // the core is w·own + (1 − w)·field, and the same correction carries to its patches.
            // The correction fades out from 1 to 2 FWHM (CorrectionTaper): beyond, a few stars'
            // ePSF is mostly noise, and summed over the outer core it moved the normalisation
            // (a hard-world cell of two stars came out 14 % faint, its ePSF 29 % negative).
            var correction = new double[n * n];
            if (cellCore is not null)
                for (int k = 0; k < correction.Length; k++)
                    correction[k] = wCell * CorrectionTaper(radius[k] / (fwhm * o)) * (cellCore[k] - atCell[k]);
            double[] Assemble(double[] core)
            {
                var final = new double[n * n];
                for (int k = 0; k < final.Length; k++)
                    final[k] = radius[k] < rc ? core[k] + correction[k] : wing.Pixels[k];
                return final;
            }
            var product = EpsfPostProcess.Finish(Assemble(atCell), n, o, n);
            outCells[cell.Input.Tag] = (product, new BandFieldRecord(band.Stars.Count, nCell, nRejected, wCell,
                rc / o, wing.Fraction, modelError));
            // Each patch gets the model on its grid of places, the cell's correction carried to each:
            // its fits give every source the PSF at its own place (PatchPsfGrid).
            var list = new List<(int, int, float[][])>();
            foreach (var pc in patches)
                if (pc.CellTag == cell.Input.Tag)
                    list.Add((pc.Row, pc.Col, pc.Grid().Select(g => EpsfPostProcess.Normalise(Assemble(FieldCore(g.X, g.Y)), n, n, out _)).ToArray()));
            patchOut[cell.Input.Tag] = list;
        }
        return new BandFieldResult(band, outCells, patchOut, rejected, field.Terms);
    }

    private static EpsfStar Relabel(EpsfStar st, string id) =>
        new(id, st.Size, st.Data, st.Weights, st.OriginX, st.OriginY, st.CenterX, st.CenterY)
        { StackInverseVariance = st.StackInverseVariance };

    /// <summary>
    /// Share of a cell's own correction kept at <paramref name="rFwhm"/> FWHM from the centre:
    /// all of it within 1 FWHM, none beyond 2, linear between.
    /// </summary>
    internal static double CorrectionTaper(double rFwhm) => Math.Clamp(2.0 - rFwhm, 0.0, 1.0);

    /// <summary>Distance of each ePSF pixel from the array centre, ePSF pixels.</summary>
    internal static double[] Radii(int n)
    {
        var r = new double[n * n];
        double c = (n - 1) / 2.0;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) r[j * n + i] = Math.Sqrt((i - c) * (i - c) + (j - c) * (j - c));
        return r;
    }

    /// <summary>The array scaled to unit light within the core (outside: 0).</summary>
    internal static double[] CoreNormalised(float[] p, double[] radius, double rc)
    {
        var outp = new double[p.Length];
        double sum = 0;
        for (int k = 0; k < p.Length; k++) if (radius[k] < rc) sum += p[k];
        if (!(sum > 0)) sum = 1;
        for (int k = 0; k < p.Length; k++) if (radius[k] < rc) outp[k] = p[k] / sum;
        return outp;
    }

    /// <summary>
    /// The band's wings relative to its core (core light = 1): the pixels as stacked, and
    /// their light. Within 2 r_c the light is the pixels' sum; beyond, where a sparse band's
    /// stack is mostly noise (the sum over ~2500 pixels of a few faint stars' wings moved the
    /// normalisation by 2 % between two builds of one real band), it is the sum of a power law
    /// a·r^−β fitted to the ring means from r_c out (the stars are referred to the far sky, so
    /// no pedestal is fitted). Without a usable fit (a ≤ 0, β at its bounds) every pixel is summed.
    /// </summary>
    internal sealed record Wings(double[] Pixels, double Fraction, double Slope)
    {
        public static Wings From(float[] p, double[] radius, double rc)
        {
            double core = 0;
            for (int k = 0; k < p.Length; k++) if (radius[k] < rc) core += p[k];
            if (!(core > 0)) core = 1;
            var pix = new double[p.Length];
            double inner = 0, outer = 0;
            for (int k = 0; k < p.Length; k++)
            {
                if (radius[k] < rc) continue;
                pix[k] = p[k] / core;
                if (radius[k] < 2 * rc) inner += pix[k]; else outer += pix[k];
            }
            double beta = FitSlope(pix, radius, rc, out double a);
            if (!double.IsFinite(beta)) return new Wings(pix, inner + outer, double.NaN);
            double law = 0;
            for (int k = 0; k < p.Length; k++) if (radius[k] >= 2 * rc) law += a * Math.Pow(radius[k], -beta);
            // the outer pixels keep their shape, scaled to the law's light; with no light of their
            // own left (a background pulled up by the stars' wings), they are the law itself
            for (int k = 0; k < p.Length; k++)
                if (radius[k] >= 2 * rc) pix[k] = outer > 0.25 * law ? pix[k] * law / outer : a * Math.Pow(radius[k], -beta);
            return new Wings(pix, inner + law, beta);
        }

        /// <summary>β (and a) of a·r^−β on the 1-pixel ring means from r_c out, weighted by ring size
        /// over ring variance; NaN when a ≤ 0 or β hits the grid's ends.</summary>
        private static double FitSlope(double[] pix, double[] radius, double rc, out double aBest)
        {
            aBest = 0;
            int n = (int)Math.Round(Math.Sqrt(pix.Length));
            // every ring from r_c out: fitted on r_c to 2 r_c alone, the law followed a broad
            // halo's flat inner part and overshot beyond (+1.9 % fluxes in the hard world's
            // undersampled band, against +0.5 % with every ring)
            int r0 = (int)Math.Ceiling(rc), nr = (int)Math.Floor((n - 1) / 2.0) - r0;
            if (nr < 5) return double.NaN;
            var sum = new double[nr]; var sum2 = new double[nr]; var cnt = new int[nr];
            for (int k = 0; k < pix.Length; k++)
            {
                int b = (int)Math.Floor(radius[k]) - r0;
                if (b < 0 || b >= nr || radius[k] < rc) continue;
                sum[b] += pix[k]; sum2[b] += pix[k] * pix[k]; cnt[b]++;
            }
            double best = double.PositiveInfinity, betaBest = double.NaN;
            const double betaMin = 1.5, betaMax = 8.0;
            for (double beta = betaMin; beta <= betaMax + 1e-9; beta += 0.02)
            {
                double sff = 0, sfy = 0, syy = 0;
                for (int b = 0; b < nr; b++)
                {
                    if (cnt[b] < 4) continue;
                    double m = sum[b] / cnt[b], v = Math.Max(sum2[b] / cnt[b] - m * m, 1e-30), w = cnt[b] / v;
                    double f = Math.Pow(r0 + b + 0.5, -beta);
                    sff += w * f * f; sfy += w * f * m; syy += w * m * m;
                }
                if (!(sff > 0)) continue;
                double a = sfy / sff, chi = syy - a * sfy;
                if (a > 0 && chi < best) { best = chi; betaBest = beta; aBest = a; }
            }
            return double.IsFinite(betaBest) && betaBest > betaMin + 0.01 && betaBest < betaMax - 0.01 ? betaBest : double.NaN;
        }
    }

    /// <summary>Inner and outer radius of the far-sky annulus, in units of the final ePSF side (55 px: 36–50 px).</summary>
    public const double FarSkyInner = 0.65, FarSkyOuter = 0.9;

    /// <summary><see cref="FarSky"/> of each of the cell's raw stamps, in their order, from the cell's selected image.</summary>
    /// <exception cref="InvalidOperationException">The cell's pixels were released without it.</exception>
    public static double[] RawStampSky(EpsfCellResult cell, EpsfCellSettings s)
    {
        if (cell.Selected is not { } image)
            throw new InvalidOperationException($"ePSF cell {cell.Input.Tag}: pixels released before the far sky of its stamps was taken");
        double r1 = FarSkyInner * s.Config.FinalPsfSize, r2 = FarSkyOuter * s.Config.FinalPsfSize;
        var sky = new double[cell.RawStamps.Count];
        for (int i = 0; i < sky.Length; i++)
        {
            var st = cell.RawStamps[i];
            sky[i] = FarSky(image, cell.Input.Bad, cell.Input.Width, cell.Input.Height,
                st.OriginX + st.CenterX, st.OriginY + st.CenterY, r1, r2);
        }
        return sky;
    }

    /// <summary>
    /// The sky around a star beyond its stamp: the 3σ-clipped median of the image in the
    /// annulus r1–r2 around (x, y), bad pixels left out; NaN with fewer than 30 pixels. The
    /// band's stars are referred to this level, as an aperture flux to its sky annulus,
    /// instead of the per-star annulus of 20–30 px, which sits in the PSF's wings and takes
    /// their light out of the ePSF (and so puts it into every fitted flux as a deficit), and
    /// instead of the cell's mesh background alone, which the stars' own wings pull up.
    /// </summary>
    public static double FarSky(float[] image, byte[] bad, int w, int h, double x, double y, double r1, double r2)
    {
        int x0 = Math.Max(0, (int)Math.Floor(x - r2)), x1 = Math.Min(w - 1, (int)Math.Ceiling(x + r2));
        int y0 = Math.Max(0, (int)Math.Floor(y - r2)), y1 = Math.Min(h - 1, (int)Math.Ceiling(y + r2));
        var v = new List<double>();
        for (int j = y0; j <= y1; j++)
            for (int i = x0; i <= x1; i++)
            {
                double d2 = (i - x) * (i - x) + (j - y) * (j - y);
                if (d2 < r1 * r1 || d2 > r2 * r2) continue;
                int k = j * w + i;
                if (bad[k] != 0 || !float.IsFinite(image[k])) continue;
                v.Add(image[k]);
            }
        if (v.Count < 30) return double.NaN;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(v);
        int n = ClippedStats.SigmaClipInPlace(span, 3.0, 5);
        return n < 30 ? double.NaN : ClippedStats.MedianInPlace(span[..n]);
    }

    /// <summary>The held-out flux test of every candidate degree of <paramref name="field"/>.</summary>
    /// <param name="coreOf">Builder-grid ePSF → final-grid ePSF scaled to unit light within <paramref name="rc"/>.</param>
    internal static Dictionary<int, HeldOutFluxes> HeldOutTests(FieldFit field, EpsfBuildResult band, IReadOnlyList<EpsfStar> pool,
        IReadOnlyDictionary<string, (double X, double Y)> frameX, double[] radius, double rc, Func<double[], double[]> coreOf, Wings wing)
    {
        var tests = new Dictionary<int, HeldOutFluxes>();
        foreach (int t in field.Candidates)
            tests[t] = HeldOutFluxTest(band, pool, frameX, radius, rc, (id, x, y) => coreOf(field.EvaluateHeldOut(t, id, x, y)), wing);
        return tests;
    }

    /// <summary>
    /// The degree whose held-out models give the test stars' fluxes best. With too few bright
    /// stars to tell (every score NaN), the degree follows the star count as in PSFEx's habit:
    /// none below 20 stars, linear below 60, quadratic from 60 (about ten stars per term).
    /// </summary>
    internal static int ChooseDegree(IReadOnlyList<int> candidates, IReadOnlyDictionary<int, HeldOutFluxes> tests, int nStars)
    {
        int best = -1;
        foreach (int t in candidates)
            if (double.IsFinite(tests[t].Score) && (best < 0 || tests[t].Score < tests[best].Score)) best = t;
        if (best > 0) return best;
        int byCount = nStars >= 60 ? 6 : nStars >= 20 ? 3 : 1;
        return candidates.Where(t => t <= byCount).DefaultIfEmpty(1).Max();
    }

    /// <summary>Aperture of the model-error measurement, in core radii.</summary>
    internal const double ModelErrorApertureCores = 2.0;

    /// <summary>Stars with aperture S/N ≥ 100 the flux test needs to tell anything.</summary>
    internal const int MinFluxTestStars = 8;

    /// <summary>
    /// What the held-out flux test measured for one model.
    /// <para><see cref="Score"/>: mean squared flux error of the stars, (median − 1)² + scatter²,
    /// which chooses the degree; NaN with fewer than <see cref="MinFluxTestStars"/> stars.</para>
    /// <para><see cref="ModelError"/>: the scatter with the stars' expected noise taken out in
    /// quadrature, the model's own fractional flux error.</para>
    /// </summary>
    internal readonly record struct HeldOutFluxes(int Stars, double Score, double ModelError);

    /// <summary>
    /// How well the model gives stars it has not seen their fluxes, beyond their noise: every
    /// star of the band with S/N ≥ 100 in the core is fitted (least squares, centre fixed, over
    /// the core) with the model <paramref name="fieldCore"/> returns for it (the caller passes
    /// the model fitted without the star, at the place its fit would use), and the fit is
    /// compared with the star's flux within <paramref name="apertureCores"/> core radii divided
    /// by the model's light there. Stars with a masked pixel in that aperture are skipped.
    /// A PSF fit cannot be better than this for a star like them, so
    /// <see cref="HeldOutFluxes.ModelError"/> is added to every flux error of the band
    /// (docs/algorithms.md, "Flux errors").
    /// </summary>
    internal static HeldOutFluxes HeldOutFluxTest(EpsfBuildResult band, IReadOnlyList<EpsfStar> stamps,
        IReadOnlyDictionary<string, (double X, double Y)> stampOrigin, double[] radius, double rc,
        Func<string, double, double, double[]> fieldCore, Wings wing, double apertureCores = 1.0)
    {
        int o = band.Oversampling;
        int n = (int)Math.Round(Math.Sqrt(radius.Length));
        double cE = (n - 1) / 2.0;
        var byId = stamps.ToDictionary(x => x.Id, StringComparer.Ordinal);
        var ratios = new List<double>();
        var noise = new List<double>();
        var grid = new SplineGrid(n, n);
        double rFit = rc / o, rAp = apertureCores * rc / o; // image pixels
        foreach (var f in band.Stars)
        {
            if (f.FitFailed || !(f.Flux > 0) || !byId.TryGetValue(f.Id, out var st)) continue;
            var (ox, oy) = stampOrigin[f.Id];
            // the cheap cuts first (most stars of a band are too faint to tell): S/N ≥ 100 in
            // the core, and no masked pixel in the aperture
            double core0 = 0, coreVar0 = 0;
            bool masked = false;
            for (int j = 0; j < st.Size; j++)
                for (int i = 0; i < st.Size; i++)
                {
                    double dx = i - f.CenterX, dy = j - f.CenterY, r2 = dx * dx + dy * dy;
                    if (r2 > rAp * rAp) continue;
                    int k = j * st.Size + i;
                    double iv = st.InverseVariance(k);
                    if (!(iv > 0)) { masked = true; continue; }
                    if (r2 <= rFit * rFit) { core0 += st.Data[k]; coreVar0 += 1 / iv; }
                }
            if (masked || !(core0 > 0) || core0 / Math.Sqrt(coreVar0) < 100) continue;

            var core = fieldCore(f.Id, ox + f.CenterX, oy + f.CenterY);
            var model = new double[core.Length];
            for (int k = 0; k < model.Length; k++) model[k] = radius[k] < rc ? core[k] : wing.Pixels[k];
            grid.Fit(model);
            double modelAp = 0;
            for (int k = 0; k < model.Length; k++) if (radius[k] / o <= rAp) modelAp += model[k];
            // the fit over the core, F = Σ a·d with a = w·p / Σ w·p²; the aperture A = Σ d
            double swpd = 0, swpp = 0, ap = 0, apVar = 0, fitVar = 0, cov = 0;
            for (int j = 0; j < st.Size; j++)
                for (int i = 0; i < st.Size; i++)
                {
                    double dx = i - f.CenterX, dy = j - f.CenterY, r2 = dx * dx + dy * dy;
                    if (r2 > rAp * rAp) continue;
                    int k = j * st.Size + i;
                    double var = 1 / st.InverseVariance(k);
                    ap += st.Data[k]; apVar += var;
                    if (r2 > rFit * rFit) continue;
                    double pm = grid.Evaluate(o * dx + cE, o * dy + cE) * o * o;
                    double w = st.Weights[k] * st.Weights[k];
                    swpd += w * pm * st.Data[k]; swpp += w * pm * pm;
                    fitVar += w * w * pm * pm * var;
                    cov += w * pm * var;
                }
            if (!(swpp > 0) || !(modelAp > 0) || !(ap > 0)) continue;
            double fPsf = swpd / swpp, fAp = ap / modelAp;
            ratios.Add(fPsf / fAp);
            // the noise of ln F − ln A; the two share the core's pixels
            double fv = fitVar / (swpp * swpp), c = cov / swpp;
            noise.Add(Math.Max(0, apVar / (ap * ap) + fv / (fPsf * fPsf) - 2 * c / (ap * fPsf)));
        }
        if (ratios.Count < MinFluxTestStars) return new HeldOutFluxes(ratios.Count, double.NaN, double.NaN);
        double scatter = Calibration.RobustStats.ScatterOf(ratios);
        double median = Calibration.RobustStats.MedianOf(ratios);
        double expected = Calibration.RobustStats.MedianOf(noise);
        return new HeldOutFluxes(ratios.Count, (median - 1) * (median - 1) + scatter * scatter,
            Math.Sqrt(Math.Max(0, scatter * scatter - expected)));
    }

    /// <summary>
    /// Stars whose core (within 2 FWHM of their fitted centre) departs from the band model,
    /// scaled to their fitted flux, by more than <see cref="OutlierCoreResidual"/> of that
    /// flux beyond what their noise explains: Σ|d − F·E| − Σ σ·√(2/π) over the core.
    /// </summary>
    private static List<string> Outliers(EpsfBuildResult band, IReadOnlyList<EpsfStar> stamps, FieldFit field,
        IReadOnlyDictionary<string, (double X, double Y)> stampOrigin, int o)
    {
        var grid = new SplineGrid(band.Size, band.Size);
        double cE = (band.Size - 1) / 2.0;
        var e32 = band.Data!.Select(v => double.IsFinite(v) ? (float)v : 0f).ToArray();
        double fwhm = EpsfPostProcess.Fwhm(e32, band.Size, o);
        double rChk = CheckRadiusFwhm * (double.IsFinite(fwhm) && fwhm > 0 ? fwhm : 3.0);
        var byId = stamps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var bad = new List<(string Id, double Excess)>();
        foreach (var fit in band.Stars)
        {
            if (!byId.TryGetValue(fit.Id, out var st)) continue;
            if (fit.FitFailed || !(fit.Flux > 0) || !double.IsFinite(fit.Flux)) { bad.Add((fit.Id, double.PositiveInfinity)); continue; }
            var (ox, oy) = stampOrigin[fit.Id];
            grid.Fit(field.Evaluate(ox + fit.CenterX, oy + fit.CenterY));
            double absRes = 0, noise = 0;
            int used = 0;
            for (int j = 0; j < st.Size; j++)
                for (int i = 0; i < st.Size; i++)
                {
                    double dx = i - fit.CenterX, dy = j - fit.CenterY;
                    if (dx * dx + dy * dy > rChk * rChk) continue;
                    int k = j * st.Size + i;
                    if (!(st.Weights[k] > 0)) continue;
                    double m = fit.Flux * grid.Evaluate(o * dx + cE, o * dy + cE);
                    absRes += Math.Abs(st.Data[k] - m);
                    double iv = st.InverseVariance(k);
                    noise += Math.Sqrt(2 / Math.PI / iv);
                    used++;
                }
            if (used < 5) continue;
            double excess = (absRes - noise) / fit.Flux;
            if (excess > OutlierCoreResidual) bad.Add((fit.Id, excess));
        }
        return bad.OrderByDescending(b => b.Excess).Select(b => b.Id).ToList(); // the worst first
    }
}

/// <summary>
/// The band ePSF's variation over the field, as PSFEx models it: each ePSF node is a
/// polynomial in the normalised frame position, E(u; x, y) = E(u) + Σ_t a_t(u)·p_t(x, y). The
/// a_t come from a weighted least-squares fit, node by node, of every star's residual from
/// the band ePSF (scaled to its fitted flux; each data pixel goes to its nearest node, as in
/// the ePSF builder's own stack). A star's weight is its inverse variance times its flux²,
/// capped at the third heaviest star's, so that one bright star cannot set the variation alone.
/// <para>
/// Every candidate degree (none, linear, quadratic; a degree needs <see cref="MinStarsPerTerm"/>
/// stars per term) is also fitted without each of <see cref="Folds"/> folds of the stars, so
/// that a star can be given the model fitted without it (<see cref="EvaluateHeldOut"/>): the
/// caller chooses the degree by how well the held-out models give the stars' fluxes
/// (<see cref="Use"/>), and measures the model error the same way.
/// </para>
/// </summary>
internal sealed class FieldFit
{
    /// <summary>Cross-validation folds (stars are dealt to them in order).</summary>
    public const int Folds = 10;

    /// <summary>Stars per polynomial term a degree needs to be tried.</summary>
    public const int MinStarsPerTerm = 4;

    private static readonly int[] AllCandidates = [1, 3, 6];

    /// <summary>Passes after the first that correct the residuals for the nearest-node assignment (see the constructor).</summary>
    internal const int FieldPasses = 3;

    private readonly double[] _base;
    private readonly Dictionary<int, double[][]> _coef = new(); // terms → [term][node], from every star
    private readonly Dictionary<int, double[][][]> _foldCoef = new(); // terms → [fold][term][node], each without its fold
    private readonly Dictionary<string, int> _fold = new(StringComparer.Ordinal);
    private readonly int _size;
    private readonly double _cx, _cy, _hx, _hy;

    /// <summary>The degrees tried, as term counts (1 none, 3 linear, 6 quadratic).</summary>
    public IReadOnlyList<int> Candidates { get; }

    /// <summary>The degree in use (the largest candidate until <see cref="Use"/> is called).</summary>
    public int Terms { get; private set; }

    public static string TermName(int terms) => terms switch { 1 => "none", 3 => "linear", _ => "quadratic" };

    public FieldFit(EpsfBuildResult band, IReadOnlyList<EpsfStar> stamps, IReadOnlyDictionary<string, (double X, double Y)> stampOrigin,
        int frameWidth, int frameHeight)
    {
        _base = band.Data!;
        _size = band.Size;
        _cx = frameWidth / 2.0; _cy = frameHeight / 2.0;
        _hx = Math.Max(1, frameWidth / 2.0); _hy = Math.Max(1, frameHeight / 2.0);
        var byId = stamps.ToDictionary(x => x.Id, StringComparer.Ordinal);
        var fits = band.Stars.Where(f => !f.FitFailed && f.Flux > 0 && double.IsFinite(f.Flux) && byId.ContainsKey(f.Id)).ToList();
        Candidates = AllCandidates.Where(t => t == 1 || fits.Count >= MinStarsPerTerm * t).ToArray();
        int nt = Candidates[^1], n = _size, nodes = n * n;
        Terms = nt;
        for (int q = 0; q < fits.Count; q++) _fold[fits[q].Id] = q % Folds;
        _coef[1] = [new double[nodes]];
        _foldCoef[1] = Enumerable.Range(0, Folds).Select(_ => _coef[1]).ToArray();
        if (nt == 1) return;

        int o = band.Oversampling;
        double cE = (n - 1) / 2.0;
        var grid = new SplineGrid(n, n);
        grid.Fit(_base);

        // per-star weight scale: the third heaviest star's total weight caps every other's
        var totals = new double[fits.Count];
        for (int q = 0; q < fits.Count; q++)
        {
            var st = byId[fits[q].Id];
            double tot = 0;
            for (int k = 0; k < st.Data.Length; k++) tot += st.InverseVariance(k);
            totals[q] = tot * fits[q].Flux * fits[q].Flux;
        }
        var sorted = totals.OrderByDescending(v => v).ToArray();
        double cap = sorted.Length >= 3 ? sorted[2] : sorted.Length > 0 ? sorted[^1] : 1;

        // Normal equations of the largest candidate, per fold (a smaller degree is the leading
        // block: the terms are nested). Each data pixel goes to its nearest node; its residual
        // is measured against the interpolated base at its own place.
        var ata = new double[Folds][];
        var atb = new double[Folds][];
        for (int f = 0; f < Folds; f++) { ata[f] = new double[nodes * nt * nt]; atb[f] = new double[nodes * nt]; }
        var pt = new double[nt];
        // shift: null on the first pass; then the correction of the current model (its terms'
        // node images as splines), whose value at the pixel's own place minus its value at the
        // node is taken from the residual, so that the node gets what the model must hold
        // there rather than the average over the pixels that round to it (see below).
        void Accumulate(bool matrix, int terms, (SplineGrid Grid, double[] Nodes)[]? shift)
        {
            for (int f = 0; f < Folds; f++) Array.Clear(atb[f]);
            for (int q = 0; q < fits.Count; q++)
            {
                var f = fits[q];
                var st = byId[f.Id];
                var (ox, oy) = stampOrigin[f.Id];
                Basis(ox + f.CenterX, oy + f.CenterY, pt);
                double scale = totals[q] > cap ? cap / totals[q] : 1;
                double[] a2 = ata[q % Folds], b1 = atb[q % Folds];
                for (int j = 0; j < st.Size; j++)
                    for (int i = 0; i < st.Size; i++)
                    {
                        int k = j * st.Size + i;
                        double iv = st.InverseVariance(k);
                        if (!(iv > 0)) continue;
                        double u = o * (i - f.CenterX) + cE, v = o * (j - f.CenterY) + cE;
                        int ui = (int)Math.Round(u), vi = (int)Math.Round(v);
                        if (ui < 0 || vi < 0 || ui >= n || vi >= n) continue;
                        double res = (st.Data[k] - f.Flux * grid.Evaluate(u, v)) / f.Flux;
                        int node = vi * n + ui;
                        if (shift is not null)
                            for (int a = 0; a < terms; a++)
                                res -= pt[a] * (shift[a].Grid.Evaluate(u, v) - shift[a].Nodes[node]);
                        double w = iv * f.Flux * f.Flux * scale;
                        for (int a = 0; a < nt; a++)
                        {
                            b1[node * nt + a] += w * pt[a] * res;
                            if (matrix)
                                for (int b = 0; b < nt; b++) a2[(node * nt + a) * nt + b] += w * pt[a] * pt[b];
                        }
                    }
            }
        }
        Accumulate(matrix: true, nt, shift: null);
        var all = new double[nodes * nt * nt];
        for (int f = 0; f < Folds; f++)
            for (int k = 0; k < all.Length; k++) all[k] += ata[f][k];
        var allB = new double[nodes * nt];
        var train = new double[nodes * nt * nt];
        var trainB = new double[nodes * nt];
        foreach (int t in Candidates)
        {
            if (t == 1) continue;
            // A pixel's residual lands on its nearest node from up to half a pixel away: one
            // pass gives each node the correction averaged over a pixel around it, which for a
            // 2–3 px FWHM flattens how the core's width changes over the field (the hard
            // world's undersampled band followed its ±15 % FWHM gradient only part way: cells
            // ±1.3 % in flux at the two ends). Passes that take the current correction's
            // change between the pixel and its node out of the residual converge on node
            // values whose interpolation fits the stars, as the builder's own iterations do.
            for (int pass = 0; pass <= FieldPasses; pass++)
            {
                if (pass > 0)
                    Accumulate(matrix: false, t, _coef[t].Select(c => { var g = new SplineGrid(n, n); g.Fit(c); return (g, c); }).ToArray());
                else if (t != Candidates.Where(c => c > 1).Min())
                    Accumulate(matrix: false, t, shift: null);
                Array.Clear(allB);
                for (int f = 0; f < Folds; f++)
                    for (int k = 0; k < allB.Length; k++) allB[k] += atb[f][k];
                _coef[t] = Solve(all, allB, nodes, nt, t);
            }
            var byFold = new double[Folds][][];
            for (int f = 0; f < Folds; f++)
            {
                for (int k = 0; k < train.Length; k++) train[k] = all[k] - ata[f][k];
                for (int k = 0; k < trainB.Length; k++) trainB[k] = allB[k] - atb[f][k];
                byFold[f] = Solve(train, trainB, nodes, nt, t);
            }
            _foldCoef[t] = byFold;
        }
    }

    /// <summary>Uses degree <paramref name="terms"/> (one of <see cref="Candidates"/>) from now on.</summary>
    public void Use(int terms)
    {
        if (!_coef.ContainsKey(terms)) throw new ArgumentOutOfRangeException(nameof(terms), terms, "not a candidate degree");
        Terms = terms;
    }

    /// <summary>Per-node weighted least squares of the leading <paramref name="t"/> terms (of <paramref name="nt"/> accumulated).</summary>
    private static double[][] Solve(double[] ata, double[] atb, int nodes, int nt, int t)
    {
        var coef = new double[t][];
        for (int a = 0; a < t; a++) coef[a] = new double[nodes];
        if (t == 1) return coef; // the band ePSF itself: no correction
        var m = new double[t * t];
        var rhs = new double[t];
        for (int node = 0; node < nodes; node++)
        {
            double tr = 0;
            for (int a = 0; a < t; a++) tr += ata[(node * nt + a) * nt + a];
            if (!(tr > 0)) continue;
            for (int a = 0; a < t; a++)
            {
                rhs[a] = atb[node * nt + a];
                for (int b = 0; b < t; b++) m[a * t + b] = ata[(node * nt + a) * nt + b];
                m[a * t + a] += 1e-6 * tr / t; // a whisper of ridge: nodes few stars reach stay near the band's
            }
            if (!Fitting.Optimization.DenseCholesky.FactorLower(m, t, 0)) continue;
            Fitting.Optimization.DenseCholesky.SolveFactored(m, t, rhs);
            for (int a = 0; a < t; a++) coef[a][node] = rhs[a];
        }
        return coef;
    }

    private void Basis(double x, double y, double[] p)
    {
        double xi = (x - _cx) / _hx, eta = (y - _cy) / _hy;
        p[0] = 1;
        if (p.Length >= 3) { p[1] = xi; p[2] = eta; }
        if (p.Length >= 6) { p[3] = xi * xi; p[4] = xi * eta; p[5] = eta * eta; }
    }

    /// <summary>The band ePSF (builder grid, un-normalised) at white-frame position (x, y).</summary>
    public double[] Evaluate(double x, double y) => Evaluate(_coef[Terms], x, y);

    /// <summary>
    /// The model of degree <paramref name="terms"/> at (x, y) as fitted without the fold of star
    /// <paramref name="starId"/>: what the field predicts for a star it has not seen. A star
    /// outside the fit gets the full model. (The band ePSF itself holds every star: with tens
    /// of stars, one star's share in it is small.)
    /// </summary>
    public double[] EvaluateHeldOut(int terms, string starId, double x, double y) =>
        _fold.TryGetValue(starId, out int f) ? Evaluate(_foldCoef[terms][f], x, y) : Evaluate(_coef[terms], x, y);

    private double[] Evaluate(double[][] coef, double x, double y)
    {
        var outp = (double[])_base.Clone();
        int terms = coef.Length;
        if (terms == 1) return outp;
        var p = new double[terms];
        Basis(x, y, p);
        for (int k = 0; k < outp.Length; k++)
        {
            double c = 0;
            for (int t = 0; t < terms; t++) c += coef[t][k] * p[t];
            outp[k] += c;
        }
        return outp;
    }
}

using Tract7dt.Science.Detection;
using Tract7dt.Science.Numerics;

namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// Takes out of a patch fit the light its model cannot hold (docs/fitting.md §4.1, key
/// <c>patch_run.mask_unmodelled_light</c>): a bright star that is not in the catalogue (a
/// saturated one the Gaia injection leaves out, say), its wings, a galaxy nobody listed, a
/// background residual. A patch's sky is one constant fitted by least squares over every
/// pixel, so such light raises it over the whole patch, and every source there is fitted
/// against a sky that is too high: on the hard simulated world a saturated star beside a
/// patch lifted the sky by 2σ per pixel and its faint stars came out 25–30 % low; on a crowded
/// real field the sky of a tenth of the patches stood more than 1σ above the patch's
/// source-free median.
/// </summary>
/// <remarks>
/// Per band, before the fit, with the model at its start (catalogue positions, shapes and
/// initial fluxes): pixels in a source's core (<see cref="CoreFraction"/>) are never masked; pixels
/// in the footprint of a reported source (its starting light above <see cref="FootprintSigma"/>)
/// are not either, unless their box holds <see cref="MaxExcessOverModel"/> times more light than
/// the sources put there. Every other good pixel has a residual z = (data − model)/σ; the sum of z
/// over a <see cref="BoxSide"/>² box, over the root of its count, is N(0, 1) where the model holds,
/// and a box above <see cref="Threshold"/> is flagged, against a level taken again over the
/// unflagged pixels until no box is added. The flags are grown by <see cref="GrowPix"/> and get
/// weight 0 for the whole fit. Where nothing is flagged the images are returned unchanged, and
/// the fit is the same to the bit. docs/fitting.md §4.1 has the numbers behind each choice.
/// </remarks>
public static class UnmodelledLight
{
    /// <summary>Model light, in units of the pixel's σ, above which a pixel belongs to a modelled source.
    /// Low, so that an initial flux a few times too small still protects its source's wings.</summary>
    public const double FootprintSigma = 0.2;

    /// <summary>Side of the box the residual is summed over (pixels, odd): about two FWHM of a 7DT PSF.</summary>
    public const int BoxSide = 7;

    /// <summary>Significance of a box's summed excess that flags it (in σ of the sum; one-sided). Over a
    /// patch of 200² pixels (~800 independent boxes) noise alone flags one box in ~40 patches.</summary>
    public const double Threshold = 4.0;

    /// <summary>Pixels by which the flags are grown (Chebyshev distance): the flagged box centres mark
    /// where the excess is significant, its fainter edge lies around them.</summary>
    public const int GrowPix = 3;

    /// <summary>More than this fraction of a band's good pixels flagged leaves too little sky to fit: that
    /// band is fitted unmasked (its count is reported as −1).</summary>
    public const double MaxMaskedFraction = 0.8;

    /// <summary>A source's core: where its own unit-flux model exceeds this fraction of its peak
    /// (a radius of about 1.3 FWHM for a star). Always protected, whatever its starting flux.</summary>
    public const double CoreFraction = 0.05;

    /// <summary>A footprint pixel whose box holds more than this many times the light its sources'
    /// starting model puts there is not theirs (a bright unlisted star beside a faint one): it is
    /// judged like any other, unless it lies in a core.</summary>
    public const double MaxExcessOverModel = 10;

    /// <summary>Rounds of flagging, each against the level of the pixels not flagged before it.</summary>
    private const int MaxRounds = 6;

    /// <summary>A box needs this many unprotected good pixels to be judged.</summary>
    private const int MinBoxPixels = 12;

    /// <summary>
    /// Images whose inverse error is 0 on unmodelled light, for the model <paramref name="problem"/>
    /// at its start; <paramref name="masked"/> holds the pixels masked per image (an image with none
    /// is returned as it was; so is one where the mask would take more than
    /// <see cref="MaxMaskedFraction"/> of the good pixels, with −1 in <paramref name="masked"/>).
    /// </summary>
    /// <param name="sources">The sources as the model was built from them: a <see cref="SourceInit.FixedPosition"/>
    /// source (a nuisance: a saturation-excluded star, another patch's source in the halo) keeps its core,
    /// but not its footprint. A saturated star's halo reaches far beyond its ePSF stamp, its model misfits
    /// it by hundreds of σ there, and a protected footprint would hand that misfit to the sky.</param>
    public static PatchImage[] Mask(IReadOnlyList<PatchImage> images, PatchModel problem, IReadOnlyList<SourceInit> sources, out int[] masked)
    {
        var result = new PatchImage[images.Count];
        masked = new int[images.Count];
        for (int k = 0; k < images.Count; k++)
        {
            var img = images[k];
            int w = img.Width, h = img.Height, n = w * h;
            var (model, own, core) = Footprints(problem, sources, k, w, h);
            var flags = Flag(img.Data, img.InverseError, model, own, core, w, h, out var isProtected);
            if (flags is null) { result[k] = img; continue; }
            SourceMask.Dilate8(flags, w, h, GrowPix);
            var e = (float[])img.InverseError.Clone();
            int count = 0, good = 0;
            for (int i = 0; i < n; i++)
            {
                if (!(e[i] > 0)) continue;
                good++;
                if (flags[i] != 0 && !isProtected[i]) { e[i] = 0; count++; }
            }
            bool tooMuch = count > MaxMaskedFraction * good;
            masked[k] = tooMuch ? -1 : count;
            result[k] = count == 0 || tooMuch ? img : img with { InverseError = e };
        }
        return result;
    }

    /// <summary>Per pixel, in one pass over the sources: the whole starting model with its sky (as
    /// <see cref="PatchModel.RenderModel"/> draws it), the starting light of the sources whose footprints
    /// are protected (all but the nuisances), and whether it lies inside some source's core
    /// (<see cref="CoreFraction"/>).</summary>
    private static (float[] Model, float[] Light, bool[] Core) Footprints(PatchModel problem, IReadOnlyList<SourceInit> sources,
        int image, int w, int h)
    {
        var model = new float[w * h];
        model.AsSpan().Fill((float)problem.Sky(image));
        var light = new float[w * h];
        var core = new bool[w * h];
        for (int s = 0; s < problem.SourceCount; s++)
        {
            if (problem.UnitFluxPatch(s, image) is not { } p) continue;
            float flux = (float)problem.Flux(s, image);
            if (flux != 0 && float.IsFinite(flux))
            {
                p.AddTo(model, w, h, flux);
                if (!sources[s].FixedPosition) p.AddTo(light, w, h, flux);
            }
            var v = p.Values;
            float peak = 0;
            for (int i = 0; i < v.Length; i++) peak = Math.Max(peak, v[i]);
            if (!(peak > 0)) continue;
            float cut = (float)(CoreFraction * peak);
            for (int y = 0; y < p.H; y++)
            {
                int gy = p.Y0 + y;
                if ((uint)gy >= (uint)h) continue;
                for (int x = 0; x < p.W; x++)
                {
                    int gx = p.X0 + x;
                    if ((uint)gx < (uint)w && v[y * p.W + x] > cut) core[gy * w + gx] = true;
                }
            }
        }
        return (model, light, core);
    }

    /// <summary>The flagged box centres (1 = flagged), or null when none is; <paramref name="isProtected"/>
    /// marks the pixels the mask never takes: the sources' cores, and their footprints where the
    /// light there is of the order of theirs.</summary>
    /// <param name="model">The whole starting model, sky included.</param>
    /// <param name="ownLight">The light of the sources whose footprints are protected.</param>
    internal static byte[]? Flag(ReadOnlySpan<float> data, ReadOnlySpan<float> inverseError, ReadOnlySpan<float> model,
        ReadOnlySpan<float> ownLight, ReadOnlySpan<bool> core, int w, int h, out bool[] isProtected)
    {
        int n = w * h;
        isProtected = new bool[n];
        var light = new double[n];     // sources' model light, σ units
        var zAll = new double[n];      // residual of every good pixel, σ units
        var use = new double[n];       // 1 on good pixels outside the footprints
        var good = new bool[n];
        int nUse = 0;
        for (int i = 0; i < n; i++)
        {
            float e = inverseError[i];
            if (!(e > 0) || !float.IsFinite(data[i])) continue;
            good[i] = true;
            light[i] = ownLight[i] * (double)e;
            zAll[i] = (data[i] - model[i]) * (double)e;
            if (light[i] > FootprintSigma) isProtected[i] = true;
            else { use[i] = 1; nUse++; }
        }
        if (nUse < MinBoxPixels) return null;
        var scratch = new double[nUse];
        for (int i = 0, m = 0; i < n; i++) if (use[i] != 0) scratch[m++] = zAll[i];
        double level = ClippedStats.MedianInPlace(scratch.AsSpan());
        for (int i = 0; i < n; i++) if (good[i]) zAll[i] -= level;

        // A footprint overwhelmed by light that is not its sources' loses its protection (not a core).
        var zBox = (double[])zAll.Clone();
        BoxSums(zBox, w, h, BoxSide / 2);
        BoxSums(light, w, h, BoxSide / 2);
        for (int i = 0; i < n; i++)
            if (isProtected[i] && !core[i] && zBox[i] > MaxExcessOverModel * light[i])
            {
                isProtected[i] = false;
                use[i] = 1;
            }

        // Flag boxes whose light stands significantly above the level of the pixels not flagged yet,
        // and again with the level of those left, until no box is added: where stray light (a bright
        // star's halo beyond its model) covers much of the patch, the first median stands on it, and
        // the level comes down to the true sky's over a few rounds (as SExtractor's background clips).
        var z = new double[n];
        var pool = new double[n];
        var count = (double[])use.Clone();
        BoxSums(count, w, h, BoxSide / 2);
        byte[]? flags = null;
        for (int round = 0; round < MaxRounds; round++)
        {
            if (round > 0)
            {
                int m = 0;
                for (int i = 0; i < n; i++) if (use[i] != 0 && flags![i] == 0) pool[m++] = zAll[i];
                if (m < MinBoxPixels) break;
                double lower = ClippedStats.MedianInPlace(pool.AsSpan(0, m));
                for (int i = 0; i < n; i++) if (good[i]) zAll[i] -= lower;
            }
            for (int i = 0; i < n; i++) z[i] = use[i] != 0 ? zAll[i] : 0;
            BoxSums(z, w, h, BoxSide / 2);
            int added = 0;
            for (int i = 0; i < n; i++)
            {
                if (count[i] < MinBoxPixels || z[i] <= Threshold * Math.Sqrt(count[i])) continue;
                flags ??= new byte[n];
                if (flags[i] == 0) { flags[i] = 1; added++; }
            }
            if (added == 0) break;
        }
        for (int i = 0; i < n; i++) if (core[i]) isProtected[i] = true;
        return flags;
    }

    /// <summary>Replaces every value by the sum over the (2r+1)² box around it, clipped to the image
    /// (two running-sum passes, O(W·H)).</summary>
    private static void BoxSums(double[] a, int w, int h, int r)
    {
        var line = new double[Math.Max(w, h) + 1];
        for (int y = 0; y < h; y++)
        {
            int o = y * w;
            line[0] = 0;
            for (int x = 0; x < w; x++) line[x + 1] = line[x] + a[o + x];
            for (int x = 0; x < w; x++) a[o + x] = line[Math.Min(w, x + r + 1)] - line[Math.Max(0, x - r)];
        }
        for (int x = 0; x < w; x++)
        {
            line[0] = 0;
            for (int y = 0; y < h; y++) line[y + 1] = line[y] + a[y * w + x];
            for (int y = 0; y < h; y++) a[y * w + x] = line[Math.Min(h, y + r + 1)] - line[Math.Max(0, y - r)];
        }
    }
}

namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// Where a Sérsic galaxy's index starts (docs/fitting.md §5.5): every free index begins at
/// <c>patch_run.sersic_n_init</c> (3 by default), and the optimizer may move it by at most 0.1
/// per step (the Tractor's max step). A galaxy whose data want n = 1 therefore walks for 20
/// steps — the whole default budget — and holds its patch at the iteration cap. Before the
/// first step this picks, for each Sérsic source, the index of a coarse ladder that explains
/// its pixels best, each candidate with its own best flux per band and every other source as
/// it stands; the optimizer then refines from there.
/// <para>
/// The score of a candidate profile u (unit flux) against the residual r with the source
/// taken out, with inverse errors E: the χ² it removes at its best flux,
/// Σ_b max(0, Σ E² r u)² / Σ E² u² over the bands b (the images of a band share the band's
/// flux). The start moves from the configured index only when the best rung removes more
/// than <see cref="MinGain"/> of χ² beyond it: on a source too faint to tell, the configured
/// start stands. The size and shape stay at their catalogue values: scanning the size as well
/// (×½ … ×2, alternating with the index) left the hard simulated world's galaxies 0.2–0.5σ
/// fainter in two of four seeds, the noise bias of a fitted size reached sooner.
/// </para>
/// </summary>
public static class SersicIndexStart
{
    /// <summary>The ladder of candidate indices (within the model's [0.29, 6.3]).</summary>
    public static readonly double[] Ladder = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0];

    /// <summary>χ² the best rung must remove beyond the configured start to replace it (a 1σ improvement of one parameter).</summary>
    public const double MinGain = 1.0;

    /// <summary>
    /// Moves each free Sérsic index of <paramref name="model"/> to its best rung, in source
    /// order. Returns the number of sources whose start moved.
    /// </summary>
    public static int Apply(PatchModel model)
    {
        int np = model.ParameterCount;
        var targets = new List<(int Source, int N)>();
        for (int j = 0; j < np; j++)
        {
            var p = model.Parameter(j);
            if (p.Kind == ParameterKind.SersicIndex && p.Source >= 0) targets.Add((p.Source, j));
        }
        if (targets.Count == 0) return 0;

        int nimg = model.ImageCount;
        var bands = model.Bands;
        var bandOf = new int[nimg];
        for (int k = 0; k < nimg; k++) bandOf[k] = IndexOf(bands, model.Images[k].Band);
        var residual = new float[nimg][];
        for (int k = 0; k < nimg; k++) residual[k] = new float[model.ImageWidth(k) * model.ImageHeight(k)];
        var values = new double[np];
        var a = new double[bands.Count];
        var b = new double[bands.Count];
        int moved = 0;

        // data − model, rendered once; each source's own light is put back for its scan and
        // taken out again at its chosen index (rendering the whole model per Sérsic source made
        // the scan quadratic in the patch's sources)
        for (int k = 0; k < nimg; k++)
        {
            var r = residual[k];
            model.RenderModel(k, r);
            var d = model.Data(k);
            for (int i = 0; i < r.Length; i++) r[i] = d[i] - r[i];
        }
        void AddOwnLight(int src, float sign)
        {
            for (int k = 0; k < nimg; k++)
            {
                double f = model.Flux(src, k);
                if (f != 0 && double.IsFinite(f))
                    model.UnitFluxPatch(src, k)?.AddTo(residual[k], model.ImageWidth(k), model.ImageHeight(k), sign * (float)f);
            }
        }

        foreach (var (src, jn) in targets)
        {
            model.GetParameters(values);
            double n0 = values[jn];
            AddOwnLight(src, +1f); // the residual with this source taken out

            double Score(double n)
            {
                values[jn] = n;
                model.SetParameters(values);
                Array.Clear(a);
                Array.Clear(b);
                for (int k = 0; k < nimg; k++)
                {
                    var u = model.UnitFluxPatch(src, k);
                    if (u is null) continue;
                    var (ru, uu) = Project(u, residual[k], model.InverseError(k), model.ImageWidth(k), model.ImageHeight(k));
                    a[bandOf[k]] += ru;
                    b[bandOf[k]] += uu;
                }
                double sc = 0;
                for (int q = 0; q < a.Length; q++)
                    if (a[q] > 0 && b[q] > 0) sc += a[q] * a[q] / b[q];
                return sc;
            }

            double startScore = Score(n0);
            double bestN = n0, bestScore = startScore;
            foreach (double n in Ladder)
            {
                if (n == n0) continue;
                double sc = Score(n);
                if (sc > bestScore) { bestN = n; bestScore = sc; }
            }
            if (!(bestScore - startScore > MinGain)) bestN = n0;
            values[jn] = bestN;
            model.SetParameters(values);
            AddOwnLight(src, -1f);
            if (bestN != n0) moved++;
        }
        // the index prior (PatchModelOptions.SersicIndexPriorSigma) is centred on the start chosen here
        model.AnchorSersicIndexPrior();
        return moved;
    }

    /// <summary>(Σ E² r u, Σ E² u²) over the patch's overlap with the image.</summary>
    private static (double Ru, double Uu) Project(Rendering.ImagePatch u, float[] r, ReadOnlySpan<float> ie, int width, int height)
    {
        int xa = Math.Max(0, u.X0), xb = Math.Min(width, u.X0 + u.W);
        int ya = Math.Max(0, u.Y0), yb = Math.Min(height, u.Y0 + u.H);
        double ru = 0, uu = 0;
        for (int y = ya; y < yb; y++)
        {
            int po = (y - u.Y0) * u.W - u.X0, io = y * width;
            for (int x = xa; x < xb; x++)
            {
                double e = ie[io + x];
                if (e <= 0) continue;
                double w = e * e, uv = u.Values[po + x];
                ru += w * r[io + x] * uv;
                uu += w * uv * uv;
            }
        }
        return (ru, uu);
    }

    private static int IndexOf(IReadOnlyList<string> bands, string band)
    {
        for (int i = 0; i < bands.Count; i++) if (string.Equals(bands[i], band, StringComparison.Ordinal)) return i;
        return -1;
    }
}

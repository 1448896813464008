using Tract7dt.Science.Catalog;
using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Patches;

namespace Tract7dt.Science.Diagnostics;

/// <summary>One band of a fitted patch as the pictures show it.</summary>
/// <param name="Data">Scaled image (NaN allowed).</param>
/// <param name="Weight">Inverse variance (0 on bad pixels).</param>
/// <param name="ModelPlusSky">The fitted model including the fitted sky, counted once (README fix #6).</param>
/// <param name="FitX">Fitted x of each source in this band's fit (ROI pixels).</param>
/// <param name="FitY">Fitted y of each source.</param>
public sealed record BandView(string Band, float[] Data, float[] Weight, float[] ModelPlusSky, double[] FitX, double[] FitY);

/// <summary>
/// The data behind a patch's overview and montages (docs/fitting.md §11): per band the
/// data, weights, fitted model, fitted positions; per source the catalogue position,
/// ID and TYPE. Bands in the fit's image order (multi-band) or sorted (single-band).
/// </summary>
public sealed class PatchViews
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required IReadOnlyList<BandView> Bands { get; init; }
    /// <summary>Catalogue (initial) positions, ROI pixels.</summary>
    public required double[] CatX { get; init; }
    public required double[] CatY { get; init; }
    /// <summary>ID text of each source, or null without an exact <c>ID</c> column.</summary>
    public required string[]? Ids { get; init; }
    /// <summary>TYPE text of each source, or null without a <c>TYPE</c> column.</summary>
    public required string[]? Types { get; init; }
    public required bool MultiBand { get; init; }

    public int SourceCount => CatX.Length;

    /// <summary>The bands in the order the pictures show them: the fit's image order (multi-band)
    /// or sorted by name (one fit per band).</summary>
    public static int[] BandOrder(PatchPayload payload, bool multiBand) => multiBand
        ? Enumerable.Range(0, payload.Bands.Count).ToArray()
        : Enumerable.Range(0, payload.Bands.Count).OrderBy(k => payload.Bands[k].Band, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The views of one fitted patch from its files: the payload (<c>&lt;tag&gt;.payload.fits</c>
    /// with its sources CSV), the fit table and <c>model.fits</c>. Markers and montages cover the
    /// rows the patch reports; the model also holds the nuisance sources it modelled.
    /// </summary>
    public static PatchViews Load(string payloadFits, string fitCsv, string modelFits)
    {
        var payload = PatchPayload.Read(payloadFits);
        int owned = PatchRunner.OwnedRows(payload.Catalog, payloadFits);
        var shown = owned == payload.Catalog.RowCount ? payload
            : new PatchPayload(payload.Patch, payload.Bands, PatchSources.Head(payload.Catalog, owned));
        var fit = SourceTableCsv.Read(fitCsv, "Patch fit table");
        var models = PatchModelImages.Read(modelFits);
        bool multiBand = fit.Contains("x_pix_patch_fit");
        return From(shown, models, c => fit.Contains(c) ? fit.Numeric(c) : null, fit.RowCount, multiBand);
    }

    /// <summary>
    /// Builds the views from the payload (its catalogue: the reported rows), each band's fitted
    /// model with sky (<see cref="PatchModelImages"/>), and the fit table's columns by name
    /// (<paramref name="fitColumn"/> returns null for a column the table lacks).
    /// </summary>
    public static PatchViews From(PatchPayload payload, IReadOnlyDictionary<string, float[]> models,
        Func<string, double[]?> fitColumn, int rows, bool multiBand)
    {
        int w = payload.Width, h = payload.Height, n = w * h;
        var order = BandOrder(payload, multiBand);
        var views = new List<BandView>();
        for (int j = 0; j < order.Length; j++)
        {
            var b = payload.Bands[order[j]];
            var weight = new float[n];
            for (int i = 0; i < n; i++)
            {
                float s = b.SigmaSky[i];
                bool good = b.Bad[i] == 0 && float.IsFinite(b.Image[i]) && float.IsFinite(s) && s > 0;
                weight[i] = good ? (float)(1.0 / Math.Max((double)s * s, 1e-12)) : 0f;
            }
            if (!models.TryGetValue(b.Band, out var model) || model.Length != n)
                throw new Errors.Tract7dtException(Errors.ErrorCodes.PayloadInvalid,
                    $"The patch model has no {w}×{h} image for band {b.Band}; refit the patch (delete its outputs folder and rerun).");
            string sx = multiBand ? "x_pix_patch_fit" : $"x_pix_patch_{b.Band}_fit";
            string sy = multiBand ? "y_pix_patch_fit" : $"y_pix_patch_{b.Band}_fit";
            views.Add(new BandView(b.Band, b.Image, weight, model, fitColumn(sx) ?? new double[rows], fitColumn(sy) ?? new double[rows]));
        }
        var cat = payload.Catalog;
        return new PatchViews
        {
            Width = w,
            Height = h,
            Bands = views,
            CatX = cat.Numeric("x_pix_patch"),
            CatY = cat.Numeric("y_pix_patch"),
            Ids = cat.Contains("ID") ? Enumerable.Range(0, cat.RowCount).Select(i => cat.Text("ID", i)).ToArray() : null,
            Types = cat.Contains("TYPE") ? Enumerable.Range(0, cat.RowCount).Select(i => cat.Text("TYPE", i)).ToArray() : null,
            MultiBand = multiBand,
        };
    }

    /// <summary>Inverse-variance weighted mean over bands of data and model (NaN where no band has weight).</summary>
    public (float[] Data, float[] Model) White()
    {
        int n = Width * Height;
        var d = new float[n];
        var m = new float[n];
        for (int i = 0; i < n; i++)
        {
            double sw = 0, sd = 0, sm = 0;
            foreach (var b in Bands)
            {
                double wt = b.Weight[i];
                if (!(wt > 0)) continue;
                sw += wt;
                sd += wt * b.Data[i];
                sm += wt * b.ModelPlusSky[i];
            }
            d[i] = sw > 0 ? (float)(sd / sw) : float.NaN;
            m[i] = sw > 0 ? (float)(sm / sw) : float.NaN;
        }
        return (d, m);
    }
}

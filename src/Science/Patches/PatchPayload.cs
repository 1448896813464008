using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Patches;

/// <summary>
/// One band of a patch payload (docs/pipeline.md §7.2 <c>per_filter_patch</c>): ROI
/// slices, row-major <c>[y·W + x]</c> with (0, 0) at the ROI corner (<c>x0_roi</c>, <c>y0_roi</c>).
/// </summary>
/// <param name="Band">FILTER value.</param>
/// <param name="Scale">Flux scale 10^(−0.4 (ZP_AUTO − zp_ref)) applied to the raw ADU.</param>
/// <param name="SourcePath">Absolute path of the band's FITS file (provenance).</param>
/// <param name="SourceHash">Content hash of that file when the payload was cut.</param>
/// <param name="HeaderFwhmPix">Seeing FWHM [pix] from the header (PEEING, else SEEING / pixel scale), or null: the fallback PSF's width.</param>
/// <param name="Image">Scaled image [scaled counts]; NaN where the raw pixel is not finite.</param>
/// <param name="SigmaSky">Sky-only σ [scaled counts]; +∞ on bad pixels (the fit's weights).</param>
/// <param name="SigmaTotal">Sky + source σ [scaled counts]; +∞ on bad pixels (not used by the fit).</param>
/// <param name="Bad">Bad-pixel bits (<see cref="FramePixels.BadNonFinite"/> | <see cref="FramePixels.BadSaturated"/>); 0 = good.</param>
/// <param name="SkySigmaAdu">SKYSIG of the band, ADU: with <paramref name="GainEPerAdu"/> and the scale, what the σ maps are rebuilt from.</param>
/// <param name="GainEPerAdu">EGAIN of the band, e⁻/ADU.</param>
public sealed record PayloadBand(string Band, double Scale, string SourcePath, string SourceHash, double? HeaderFwhmPix,
    float[] Image, float[] SigmaSky, float[] SigmaTotal, byte[] Bad, double SkySigmaAdu, double GainEPerAdu);

/// <summary>
/// The self-contained input of one patch fit. On disk it is two files in the payload
/// folder: <c>&lt;tag&gt;.payload.fits</c> — an empty primary HDU whose header holds the patch
/// meta, then per band (image order) two IMAGE extensions <c>IMG</c> (float32) and
/// <c>BAD</c> (int16), each with <c>EXTVER</c> = 1-based band index and <c>BAND</c>,
/// <c>SCALE</c>, <c>SKYSIG</c>, <c>EGAIN</c>, <c>SRCPATH</c> keywords (the σ maps are rebuilt
/// on reading from those, <see cref="FramePixels.Sigmas"/>: stored, they made a full tile's
/// payloads 4.7× its images, ~47 GB) —
/// and <c>&lt;tag&gt;.sources.csv</c>, the patch catalogue, whose content hash the FITS
/// header records (<c>CATHASH</c>) so a mismatched pair is refused. In Python:
/// <c>fits.open(p)[('IMG', 1)].data</c> and <c>pandas.read_csv(...)</c>.
/// </summary>
public sealed class PatchPayload
{
    /// <summary>Payload format version (header <c>PAYVER</c>).</summary>
    public const int FormatVersion = 2;

    /// <summary>File suffix of the FITS part.</summary>
    public const string FitsSuffix = ".payload.fits";

    /// <summary>File suffix of the catalogue part.</summary>
    public const string CsvSuffix = ".sources.csv";

    private static readonly string[] Planes = ["IMG", "BAD"];

    public PatchPayload(PatchDefinition patch, IReadOnlyList<PayloadBand> bands, SourceTable catalog)
    {
        int n = patch.Roi.Width * patch.Roi.Height;
        foreach (var b in bands)
        {
            if (b.Image.Length != n || b.SigmaSky.Length != n || b.SigmaTotal.Length != n || b.Bad.Length != n)
                throw new ArgumentException($"band {b.Band}: every plane must hold {patch.Roi.Width}×{patch.Roi.Height} pixels");
            if (!(b.SkySigmaAdu > 0) || !(b.GainEPerAdu > 0) || !(b.Scale > 0))
                throw new ArgumentException($"band {b.Band}: SKYSIG, EGAIN and the scale must be finite and positive");
        }
        Patch = patch;
        Bands = bands;
        Catalog = catalog;
    }

    /// <summary>Geometry and tags (the payload <c>meta</c>).</summary>
    public PatchDefinition Patch { get; }

    /// <summary>Bands in image order.</summary>
    public IReadOnlyList<PayloadBand> Bands { get; }

    /// <summary>The patch catalogue: catalog columns (exact text) + x/y_pix_white + x/y_pix_patch.</summary>
    public SourceTable Catalog { get; }

    public int Width => Patch.Roi.Width;

    public int Height => Patch.Roi.Height;

    public static string FitsPath(string payloadDir, string tag) => Path.Join(payloadDir, tag + FitsSuffix);

    public static string CsvPathFor(string fitsPath) =>
        fitsPath.EndsWith(FitsSuffix, StringComparison.Ordinal)
            ? fitsPath[..^FitsSuffix.Length] + CsvSuffix
            : fitsPath + CsvSuffix;

    /// <summary>Writes the catalogue CSV, then the FITS file (which records the CSV's hash), both atomically.</summary>
    public void Write(string fitsPath)
    {
        string csvPath = CsvPathFor(fitsPath);
        SourceTableCsv.Write(Catalog, csvPath);
        string catHash = IO.ContentHash.OfFile(csvPath);
        using var w = FitsWriter.Create(fitsPath);
        var h = new FitsHeader();
        h.Set("PAYVER", (long)FormatVersion, "tract7dt patch payload format");
        h.Set("PATCHTAG", Patch.PatchTag, "patch tag");
        h.Set("EPSFTAG", Patch.EpsfTag, "ePSF cell tag");
        h.Set("EPSF_R", (long)Patch.EpsfRow, "ePSF cell row");
        h.Set("EPSF_C", (long)Patch.EpsfCol, "ePSF cell column");
        h.Set("PATCH_R", (long)Patch.PatchRow, "patch row in the cell");
        h.Set("PATCH_C", (long)Patch.PatchCol, "patch column in the cell");
        h.Set("HALO_PIX", (long)Patch.HaloPix, "halo [pix]");
        SetBox(h, "BASE", Patch.Base, "base box (white frame, half-open)");
        SetBox(h, "ROI", Patch.Roi, "ROI box (white frame, half-open)");
        h.Set("NSOURCES", (long)Catalog.RowCount, "catalogue rows: owned, then nuisance");
        h.Set("NBANDS", (long)Bands.Count, "bands, image order");
        h.Set("CATFILE", Path.GetFileName(csvPath), "patch catalogue (CSV beside this file)");
        h.Set("CATHASH", catHash, "XxHash128 of the catalogue CSV");
        w.AddEmptyPrimary(h);
        var bad16 = new short[Width * Height];
        for (int b = 0; b < Bands.Count; b++)
        {
            var band = Bands[b];
            for (int p = 0; p < Planes.Length; p++)
            {
                var eh = new FitsHeader();
                eh.Set("EXTNAME", Planes[p]);
                eh.Set("EXTVER", (long)(b + 1), "1-based band index (image order)");
                eh.Set("BAND", band.Band, "FILTER");
                eh.Set("SCALE", band.Scale, "flux scale 10^(-0.4 (ZP_AUTO - zp_ref))");
                eh.Set("SKYSIG", band.SkySigmaAdu, "sky sigma [ADU]: sigma maps rebuilt from it");
                eh.Set("EGAIN", band.GainEPerAdu, "gain [e-/ADU]: source noise rebuilt from it");
                eh.Set("SRCPATH", band.SourcePath, "band FITS file");
                eh.Set("SRCHASH", band.SourceHash, "XxHash128 of that file");
                if (band.HeaderFwhmPix is { } fw) eh.Set("FWHMPIX", fw, "header seeing FWHM [pix]");
                eh.Set("X0ROI", (long)Patch.Roi.X0, "white-frame x of pixel 0");
                eh.Set("Y0ROI", (long)Patch.Roi.Y0, "white-frame y of pixel 0");
                switch (p)
                {
                    case 0: w.WriteImage(band.Image, Width, Height, eh); break;
                    default:
                        for (int i = 0; i < bad16.Length; i++) bad16[i] = band.Bad[i];
                        w.WriteImage(bad16, Width, Height, eh);
                        break;
                }
            }
        }
        w.Commit();
    }

    /// <summary>Reads the patch meta only (the primary header): cheap, for planning.</summary>
    public static PatchDefinition ReadDefinition(string fitsPath)
    {
        try
        {
            using var f = FitsFile.Open(fitsPath);
            return Definition(f.GetHdu(0).Header, fitsPath);
        }
        catch (Exception e) when (e is not Tract7dtException && (e is IOException or EndOfStreamException or InvalidDataException or FormatException or UnauthorizedAccessException))
        {
            throw Invalid(fitsPath, e.Message, e);
        }
        catch (Tract7dtException e) when (e.Code != ErrorCodes.PayloadInvalid)
        {
            throw Invalid(fitsPath, e.Message, e);
        }
    }

    /// <summary>Reads a payload; <see cref="ErrorCodes.PayloadInvalid"/> when either file is missing, damaged or they do not match.</summary>
    public static PatchPayload Read(string fitsPath)
    {
        if (!File.Exists(fitsPath)) throw Invalid(fitsPath, "the file does not exist", null);
        string csvPath = CsvPathFor(fitsPath);
        try
        {
            using var f = FitsFile.Open(fitsPath);
            var h = f.GetHdu(0).Header;
            var def = Definition(h, fitsPath);
            int nb = (int)(h.GetInt("NBANDS") ?? throw Invalid(fitsPath, "header keyword NBANDS is missing", null));
            if (!File.Exists(csvPath)) throw Invalid(fitsPath, $"its catalogue {csvPath} is missing", null);
            string? want = h.GetString("CATHASH");
            if (want is not null && want != IO.ContentHash.OfFile(csvPath))
                throw Invalid(fitsPath, $"its catalogue {Path.GetFileName(csvPath)} does not match (CATHASH differs); the pair comes from different runs", null);
            var cat = SourceTableCsv.Read(csvPath, "Patch catalogue");
            long nsrc = h.GetInt("NSOURCES") ?? cat.RowCount;
            if (nsrc != cat.RowCount) throw Invalid(fitsPath, $"NSOURCES = {nsrc} but the catalogue has {cat.RowCount} rows", null);
            var bands = new List<PayloadBand>(nb);
            for (int b = 0; b < nb; b++) bands.Add(ReadBandAt(f, b, def, fitsPath));
            return new PatchPayload(def, bands, cat);
        }
        catch (Tract7dtException e) when (e.Code != ErrorCodes.PayloadInvalid)
        {
            throw Invalid(fitsPath, e.Message, e);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException or FormatException or ArgumentException or UnauthorizedAccessException)
        {
            throw Invalid(fitsPath, e.Message, e);
        }
    }

    /// <summary>
    /// One band of a payload (its σ maps rebuilt as <see cref="Read"/> does), or null when the
    /// payload has no image of <paramref name="band"/>; for readers that want one band of many
    /// (the field mosaics) without the catalogue. <see cref="ErrorCodes.PayloadInvalid"/> when the
    /// file is missing or damaged.
    /// </summary>
    public static (PatchDefinition Definition, PayloadBand? Band) ReadBand(string fitsPath, string band)
    {
        if (!File.Exists(fitsPath)) throw Invalid(fitsPath, "the file does not exist", null);
        try
        {
            using var f = FitsFile.Open(fitsPath);
            var h = f.GetHdu(0).Header;
            var def = Definition(h, fitsPath);
            int nb = (int)(h.GetInt("NBANDS") ?? throw Invalid(fitsPath, "header keyword NBANDS is missing", null));
            for (int b = 0; b < nb; b++)
                if (f.GetHdu(1 + Planes.Length * b).Header.GetString("BAND")?.Trim() == band)
                    return (def, ReadBandAt(f, b, def, fitsPath));
            return (def, null);
        }
        catch (Tract7dtException e) when (e.Code != ErrorCodes.PayloadInvalid)
        {
            throw Invalid(fitsPath, e.Message, e);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException or FormatException or ArgumentException or UnauthorizedAccessException)
        {
            throw Invalid(fitsPath, e.Message, e);
        }
    }

    /// <summary>Band <paramref name="b"/>'s planes (IMG, BAD) and its σ maps, rebuilt from SKYSIG, EGAIN and SCALE
    /// (<see cref="FramePixels.Sigmas"/>; the payload does not store them, docs/outputs.md §8).</summary>
    private static PayloadBand ReadBandAt(FitsFile f, int b, PatchDefinition def, string fitsPath)
    {
        int w = def.Roi.Width, hgt = def.Roi.Height, n = w * hgt;
        var planes = new float[Planes.Length][];
        FitsHeader? first = null;
        for (int p = 0; p < Planes.Length; p++)
        {
            int idx = 1 + Planes.Length * b + p;
            var hdu = f.GetHdu(idx);
            if (hdu.Name != Planes[p] || hdu.Width != w || hdu.Height != hgt)
                throw Invalid(fitsPath, $"HDU {idx} should be {Planes[p]} of {w}×{hgt} pixels, found {hdu.Name ?? "(no EXTNAME)"} of {hdu.Width}×{hdu.Height}", null);
            planes[p] = f.ReadImage(idx);
            first ??= hdu.Header;
        }
        var bad = new byte[n];
        for (int i = 0; i < n; i++) bad[i] = (byte)planes[1][i];
        string band = first!.GetString("BAND") ?? throw Invalid(fitsPath, $"band {b + 1} has no BAND keyword", null);
        double scale = first.GetDouble("SCALE") ?? 1.0;
        double skySig = first.GetDouble("SKYSIG") is { } ss && ss > 0 ? ss : throw Invalid(fitsPath, $"band {band} has no positive SKYSIG keyword", null);
        double gain = first.GetDouble("EGAIN") is { } g && g > 0 ? g : throw Invalid(fitsPath, $"band {band} has no positive EGAIN keyword", null);
        var sigSky = new float[n];
        var sigTot = new float[n];
        FramePixels.Sigmas(skySig, gain, scale, planes[0], bad, sigSky, sigTot);
        return new PayloadBand(band, scale, first.GetString("SRCPATH") ?? "", first.GetString("SRCHASH") ?? "",
            first.GetDouble("FWHMPIX"), planes[0], sigSky, sigTot, bad, skySig, gain);
    }

    private static PatchDefinition Definition(FitsHeader h, string path)
    {
        if (h.GetInt("PAYVER") is not { } ver)
            throw Invalid(path, "it is not a tract7dt patch payload (no PAYVER keyword)", null);
        if (ver != FormatVersion)
            throw Invalid(path, $"payload format {ver} is not the supported {FormatVersion}; rerun 'tract7dt build-patch-inputs'", null);
        int I(string k) => (int)(h.GetInt(k) ?? throw Invalid(path, $"header keyword {k} is missing", null));
        var def = new PatchDefinition(I("EPSF_R"), I("EPSF_C"), I("PATCH_R"), I("PATCH_C"),
            new PixelBox(I("X0BASE"), I("X1BASE"), I("Y0BASE"), I("Y1BASE")),
            new PixelBox(I("X0ROI"), I("X1ROI"), I("Y0ROI"), I("Y1ROI")), I("HALO_PIX"));
        if (def.Roi.IsEmpty) throw Invalid(path, $"its ROI {def.Roi} is empty", null);
        return def;
    }

    private static void SetBox(FitsHeader h, string name, PixelBox b, string comment)
    {
        h.Set("X0" + name, (long)b.X0, comment);
        h.Set("X1" + name, (long)b.X1);
        h.Set("Y0" + name, (long)b.Y0);
        h.Set("Y1" + name, (long)b.Y1);
    }

    private static Tract7dtException Invalid(string path, string why, Exception? inner) =>
        new(ErrorCodes.PayloadInvalid,
            string.Create(CultureInfo.InvariantCulture, $"Patch payload {path} cannot be used: {why}. Rerun 'tract7dt build-patch-inputs' to rebuild it."), inner);
}

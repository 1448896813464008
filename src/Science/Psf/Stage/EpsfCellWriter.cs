using System.Globalization;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// Writes one cell's numbers into <c>{epsf_dir}/{band}/{tag}/</c> (docs/outputs.md §6):
/// <c>epsf.npy</c> and <c>epsf.fits</c> (ok cells) and <c>meta.json</c> last, and what its
/// pictures draw (<see cref="EpsfCellPictureData"/>) for the EpsfDiagnostics stage. Every file is written
/// atomically; the returned list is what the item's stamp hashes.
/// </summary>
public static class EpsfCellWriter
{
    /// <summary>Writes the cell's files and returns their paths (meta.json last).</summary>
    /// <param name="pictureData">Where the pictures' data go.</param>
    public static IReadOnlyList<string> Write(string cellDir, EpsfCellResult r, EpsfCellSettings s, string algorithm, string pictureData)
    {
        Directory.CreateDirectory(cellDir);
        var outs = new List<string>();
        string P(string name) { string p = Path.Join(cellDir, name); outs.Add(p); return p; }
        if (r.IsOk && r.Product is { } p)
        {
            Npy.Write(P("epsf.npy"), p.Data, p.Size, p.Size);
            FitsWriter.WriteImage(P("epsf.fits"), p.Data, p.Size, p.Size, FitsHeaderFor(r, s, algorithm));
        }
        else
        {
            // a cell that failed now must not leave the ePSF of an earlier build to be read
            foreach (string name in new[] { "epsf.npy", "epsf.fits" })
                if (File.Exists(Path.Join(cellDir, name))) File.Delete(Path.Join(cellDir, name));
        }
        EpsfCellPictureData.From(r).Write(pictureData);
        outs.Add(pictureData);
        IO.AtomicFile.WriteAllText(P("meta.json"), EpsfCellMeta.Build(r, s, algorithm).ToString());
        return outs;
    }

    private static FitsHeader FitsHeaderFor(EpsfCellResult r, EpsfCellSettings s, string algorithm)
    {
        var h = new FitsHeader();
        h.Set("FILTER", r.Input.Band, "band");
        h.Set("EPSFCELL", r.Input.Tag, "ePSF cell tag");
        h.Set("CELLX0", r.Input.Box.X0, "cell x0, white-frame pixels (0-based)");
        h.Set("CELLX1", r.Input.Box.X1, "cell x1 (exclusive)");
        h.Set("CELLY0", r.Input.Box.Y0, "cell y0");
        h.Set("CELLY1", r.Input.Box.Y1, "cell y1 (exclusive)");
        h.Set("OVERSAMP", s.Config.Oversamp, "ePSF pixels per image pixel");
        h.Set("NSTARS", r.NStarsUsed, "stars used");
        h.Set("ALGO", algorithm, "tract7dt stage algorithm");
        return h;
    }

    /// <summary>The per-band log line of docs/epsf.md §11: <c>[epsf b] done/total patches ok=n fail=m rate=R/s eta=E</c>.</summary>
    public static string BandProgressLine(string band, int done, int total, int ok, int fail, double seconds)
    {
        double rate = seconds > 0 ? done / seconds : 0;
        return $"[epsf {band}] {done}/{total} patches ok={ok} fail={fail} rate={rate.ToString("F2", CultureInfo.InvariantCulture)}/s eta={Logging.ProgressText.Eta(total - done, rate)}";
    }
}

using System.Text.Json;
using Tract7dt.Science.Fits;

namespace Tract7dt.Tests.Fits;

/// <summary>
/// Files our writer produces with fixed content. They were checked once by astropy and
/// fitsverify (tools/fixtures/fits/make_fits_fixtures.py --verify-ours), which recorded
/// their SHA-256; the tests write them again and compare hashes, so that verdict holds
/// without Python. Changing anything here means re-running the fixture script.
/// </summary>
internal static class OurSamples
{
    public const int W = 37, H = 23;

    /// <summary>Exact in float32 and in numpy: must match formula_f32 in the fixture script.</summary>
    public static float FloatPixel(int x, int y) => (((x * 37 + y * 101) % 1000) - 500) / 64f;

    /// <summary>Special values at (0..5, 0), listed for the script so it skips them in the formula check.</summary>
    public static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1e-40f, float.MaxValue];

    public static float[] FloatImage()
    {
        var a = new float[W * H];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                a[y * W + x] = FloatPixel(x, y);
        for (int i = 0; i < Specials.Length; i++) a[i] = Specials[i];
        return a;
    }

    public static double[] DoubleImage()
    {
        var a = new double[W * H];
        for (int i = 0; i < a.Length; i++) a[i] = (i - 400) / 3.0 * Math.Pow(10, i % 9 - 4);
        a[0] = double.NaN;
        a[1] = double.Epsilon;
        a[2] = -double.MaxValue;
        return a;
    }

    public static short[] ShortImage()
    {
        var a = new short[W * H];
        for (int i = 0; i < a.Length; i++) a[i] = (short)(i * 77 - 32768);
        a[0] = short.MinValue;
        a[1] = short.MaxValue;
        return a;
    }

    /// <summary>A header exercising every card kind the writer supports.</summary>
    public static FitsHeader Header()
    {
        var h = new FitsHeader();
        h.Set("FILTER", "m400", "7DT band");
        h.Set("OBJECT", "O'Brien field", "quote inside");
        h.Set("LEADING", "   lead");
        h.Set("EMPTYSTR", "");
        // Quotes only at the very end: astropy 5.2.1 misreads '' in a CONTINUE value unless it is
        // last (astropy issue #14581, fixed by PR #14598 after 5.2.1), so it could not check them.
        // FitsHeaderCardTests covers quotes at every split point with our own parser.
        h.Set("LONGSTR", "A long value that needs the CONTINUE convention because it is longer than one card can hold, " +
                         "split over three cards, and it ends with 'quoted'.", "long string");
        h.Set("SATURATE", 65535.0, "ADU");
        h.Set("GAIN", 1.5e-6);
        h.Set("THIRD", 1.0 / 3);
        h.Set("BIGREAL", 6.02214076e23);
        h.Set("TINY", 1e-300);
        h.Set("DENORM", double.Epsilon);
        h.Set("HUGE", -double.MaxValue, "free-format real");
        h.Set("NEGZERO", -0.0);
        h.Set("EXPTIME", 100);
        h.Set("BIGINT", long.MaxValue);
        h.Set("FLAGT", true);
        h.Set("FLAGF", false);
        // No undefined value (FitsHeader.Set(key, null)): readers accept it, but fitsverify
        // always warns about one, and these files must pass with 0 warnings.
        h.Set("ESO DET CHIP", "CCD-42", "hierarch key");
        h.Set("ALGOVERSION", "fits-1", "more than 8 characters");
        h.AddComment("A comment card.");
        h.AddHistory("Written by Tract7dt.Science.Fits.FitsWriter.");
        // Structural keywords in a user header are ignored by the writer.
        h.Set("BITPIX", 8);
        h.Set("NAXIS", 3);
        h.Set("BZERO", 32768);
        return h;
    }

    /// <summary>Writes every sample (FITS + .npy + expect.json) into <paramref name="dir"/>; returns the names.</summary>
    public static IReadOnlyList<string> WriteAll(string dir)
    {
        Directory.CreateDirectory(dir);
        var names = new List<string>();
        var header = Header();

        FitsWriter.WriteImage(Path.Combine(dir, "ours_f32.fits"), FloatImage(), W, H, header);
        Npy.Write(Path.Combine(dir, "ours_f32.npy"), FloatImage(), H, W);
        WriteExpect(dir, "ours_f32", [(header, "ours_f32.npy", "f32", "float32")]);
        names.AddRange(["ours_f32.fits", "ours_f32.npy"]);

        FitsWriter.WriteImage(Path.Combine(dir, "ours_f64.fits"), DoubleImage(), W, H, header);
        Npy.Write(Path.Combine(dir, "ours_f64.npy"), DoubleImage(), H, W);
        WriteExpect(dir, "ours_f64", [(header, "ours_f64.npy", null, "float64")]);
        names.AddRange(["ours_f64.fits", "ours_f64.npy"]);

        FitsWriter.WriteImage(Path.Combine(dir, "ours_i16.fits"), ShortImage(), W, H, header);
        // numpy holds the int16 reference as float32 (exact for every int16).
        Npy.Write(Path.Combine(dir, "ours_i16.npy"), ShortImage().Select(s => (float)s).ToArray(), H, W);
        WriteExpect(dir, "ours_i16", [(header, "ours_i16.npy", null, "int16")]);
        names.AddRange(["ours_i16.fits", "ours_i16.npy"]);

        // Multi-extension: empty primary, float32 SCI, int16 MASK; then a streamed image.
        var prim = new FitsHeader();
        prim.Set("ORIGIN", "Tract7dt");
        var sci = new FitsHeader();
        sci.Set("EXTNAME", "SCI");
        var mask = new FitsHeader();
        mask.Set("EXTNAME", "MASK");
        var streamed = new FitsHeader();
        streamed.Set("EXTNAME", "STREAMED");
        using (var w = FitsWriter.Create(Path.Combine(dir, "ours_mef.fits")))
        {
            w.AddEmptyPrimary(prim);
            w.WriteImage(FloatImage(), W, H, sci);
            w.WriteImage(ShortImage(), W, H, mask);
            w.BeginImage(-32, W, H, streamed);
            var img = FloatImage();
            for (int y = 0; y < H; y += 5)
                w.WriteRows(img.AsSpan(y * W, Math.Min(5, H - y) * W));
            w.Commit();
        }
        WriteExpect(dir, "ours_mef", [(prim, null, null, null), (sci, "ours_f32.npy", "f32", "float32"), (mask, "ours_i16.npy", null, "int16"), (streamed, "ours_f32.npy", "f32", "float32")]);
        names.Add("ours_mef.fits");
        return names;
    }

    /// <summary>The cards each HDU must show in astropy, in the form the fixture script checks.</summary>
    private static void WriteExpect(string dir, string stem, (FitsHeader Header, string? Npy, string? Formula, string? Dtype)[] hdus)
    {
        var list = new List<object>();
        foreach (var (h, npy, formula, dtype) in hdus)
        {
            var cards = new List<Dictionary<string, object?>>();
            foreach (var c in h)
            {
                if (c.Key is "BITPIX" or "NAXIS" or "BZERO") continue; // structural: derived by the writer
                cards.Add(c.IsCommentary
                    ? new() { ["key"] = c.Key, ["type"] = "commentary", ["text"] = c.Comment }
                    : new()
                    {
                        ["key"] = c.Key,
                        ["type"] = c.Value switch { null => "undefined", bool => "bool", long => "int", double => "real", _ => "string" },
                        ["value"] = c.Value,
                    });
            }
            var e = new Dictionary<string, object?> { ["cards"] = cards, ["npy"] = npy, ["formula"] = formula, ["dtype"] = dtype };
            if (formula == "f32") e["specials"] = Enumerable.Range(0, Specials.Length).Select(i => new[] { i, 0 }).ToArray();
            list.Add(e);
        }
        var json = JsonSerializer.Serialize(new { hdus = list }, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(dir, stem + ".expect.json"), json);
    }
}

using Tract7dt.Science.Config;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Patches;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Stages;

public sealed class PatchPartsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-patchparts");

    public void Dispose() => _dir.Delete(true);

    private (string Npy, string Meta) Epsf(int nstars, float scale = 2f)
    {
        // 5×5 stamp with a non-finite pixel: loading zeroes it and normalises to unit sum.
        var s = new float[25];
        for (int i = 0; i < 25; i++) s[i] = scale * (i == 12 ? 4 : 1);
        s[0] = float.NaN;
        string npy = Path.Join(_dir.FullName, $"epsf{nstars}.npy"), meta = Path.Join(_dir.FullName, $"meta{nstars}.json");
        Npy.Write(npy, s, 5, 5);
        File.WriteAllText(meta, $"{{\n  \"status\": \"ok\",\n  \"fwhm\": NaN,\n  \"nstars_used\": {nstars}\n}}\n");
        return (npy, meta);
    }

    [Fact]
    public void Epsf_is_used_when_it_passes_the_star_gate_and_normalised()
    {
        var (npy, meta) = Epsf(5);
        var c = BandPsfSelector.Choose("m400", 3.0, npy, meta, new PsfSettings { MinEpsfNstarsForUse = 2 }, Log.Null);
        Assert.True(c.Audit.UsedEpsf);
        Assert.Equal(5, c.Audit.EpsfNstarsUsed);
        Assert.Equal("pixelized", c.Audit.PsfModel);
        var pix = Assert.IsType<PixelizedPsf>(c.Psf);
        float sum = 0;
        foreach (var v in pix.Values) sum += v;
        Assert.Equal(1f, sum, 5); // float32 normalisation of 25 values
        Assert.Equal(0f, pix.Values[0]);
    }

    [Fact]
    public void Low_star_or_missing_epsf_falls_back_with_the_reason_and_header_seeing()
    {
        var (npy, meta) = Epsf(1);
        var c = BandPsfSelector.Choose("m400", 3.2, npy, meta, new PsfSettings { MinEpsfNstarsForUse = 2 }, Log.Null);
        Assert.False(c.Audit.UsedEpsf);
        Assert.Equal("low-star ePSF (nstars_used=1 < min_epsf_nstars_for_use=2)", c.Audit.FallbackReason);
        Assert.Equal(3.2, Assert.IsType<MoffatPsf>(c.Psf).Fwhm);

        var gateOff = BandPsfSelector.Choose("m400", 3.2, npy, meta, new PsfSettings { MinEpsfNstarsForUse = 0 }, Log.Null);
        Assert.True(gateOff.Audit.UsedEpsf);
        Assert.Null(gateOff.Audit.EpsfNstarsUsed); // with the gate off the meta is not read

        var missing = BandPsfSelector.Choose("m550", null, Path.Join(_dir.FullName, "none.npy"), "x",
            new PsfSettings { Fallback = PsfFallbackModel.NCircularGaussian, FallbackDefaultFwhmPix = 0.5 }, Log.Null);
        Assert.Equal("missing ePSF", missing.Audit.FallbackReason);
        Assert.False(missing.Audit.EpsfExists);
        // Default FWHM 0.5 px is floored at 1 px: σ = 1/2.35482.
        Assert.Equal(1 / 2.3548200450309493, Assert.IsType<NCircularGaussianPsf>(missing.Psf).Sigmas[0], 12);

        var summary = PsfAuditSummary.From([c, missing], 2);
        Assert.Equal("{\"m400\": \"low-star ePSF (nstars_used=1 < min_epsf_nstars_for_use=2)\", \"m550\": \"missing ePSF\"}", summary.ReasonsJson);
        Assert.Equal(["m400"], summary.LowStar);
    }

    [Fact]
    public void Json_is_written_as_python_json_dumps_does()
    {
        var o = new JsonRecord { { "a", 1 }, { "b", new[] { 1, 2 } }, { "c", new List<string>() }, { "d", 0.1 }, { "e", double.NaN }, { "f", "é<" } };
        Assert.Equal("{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": [],\n  \"d\": 0.1,\n  \"e\": null,\n  \"f\": \"\\u00e9<\"\n}", PatchJson.Indented(o));
        Assert.Equal("{\"x\": true, \"y\": 1e-06}", PatchJson.Compact(new JsonRecord { { "x", true }, { "y", 1e-6 } }));
    }

    [Fact]
    public void Display_limits_follow_numpy_percentiles_and_the_fallback_rules()
    {
        float[] v = [0, 1, 2, 3, 4, float.NaN, 5, 6, 7, 8, 9, 10];
        // numpy.percentile([0..10], 1) = 0.1, 99 → 9.9 (linear interpolation).
        var (lo, hi) = DisplayLimits.Robust(v, 1, 99)!.Value;
        Assert.Equal(0.1, lo, 12);
        Assert.Equal(9.9, hi, 12);
        Assert.Equal((4.5, 5.5), DisplayLimits.Robust([5f, 5f, 5f], 1, 99));
        Assert.Null(DisplayLimits.Robust([float.NaN], 1, 99));
        Assert.Equal((-1.0, 1.0), DisplayLimits.Symmetric([0f, 0f], 99));
        Assert.Equal(-9.9, DisplayLimits.Symmetric([-10f, 0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f], 99)!.Value.Lo, 5);
    }

    [Fact]
    public void Montage_file_names_replace_unsafe_characters()
    {
        Assert.Equal("src_gaia_123.png", SourceMontage.FileName("gaia_123", 0));
        Assert.Equal("src_a_b_c.png", SourceMontage.FileName("a/b c", 3));
        Assert.Equal("src_000007.png", SourceMontage.FileName(null, 7));
    }

    [Fact]
    public void A_cutout_near_the_patch_edge_keeps_its_size_and_centre()
    {
        // a 10 × 8 image whose value is its index; a source at the corner pixel (1, 0)
        var img = Enumerable.Range(0, 80).Select(i => (float)i).ToArray();
        var w = SourceMontage.Window(img, 10, 8, 1, 0, 3);
        Assert.Equal(49, w.Length);
        Assert.Equal(1f, w[3 * 7 + 3]);                  // the source in the middle
        Assert.Equal(1f + 2 * 10 + 2, w[5 * 7 + 5]);      // (3, 2) of the image
        Assert.True(float.IsNaN(w[0]) && float.IsNaN(w[2 * 7 + 6])); // beyond the edge: blank, not cut away
        Assert.Equal(5 * 4, w.Count(float.IsFinite));      // x 0…4 (5 columns) × y 0…3 (4 rows) lie inside
    }
}

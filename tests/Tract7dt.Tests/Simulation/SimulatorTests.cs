using System.Globalization;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Simulation;

/// <summary>One tiny simulation shared by the tests of this class (generation takes seconds).</summary>
public sealed class TinySimFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "t7d_sim_" + Guid.NewGuid().ToString("N"));
    public Scene Scene { get; }
    public TinySimFixture() => Scene = Simulator.Run(new SimulationOptions(Dir, SimulationPreset.Tiny, Seed: 11));
    public void Dispose() { try { Directory.Delete(Dir, true); } catch (IOException) { } }
}

public class SimulatorTests(TinySimFixture fx) : IClassFixture<TinySimFixture>
{
    /// <summary>The issue: blank-sky noise matches sqrt(SKYSIG² + signal/EGAIN) to 2%.</summary>
    private const double NoiseTolerance = 0.02;

    private static Dictionary<string, string>[] ReadCsv(string path)
    {
        using var r = CsvHelper.CsvReader.FromFile(path, null);
        var rows = new List<Dictionary<string, string>>();
        while (r.Read())
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < r.Headers.Count; i++) d[r.Headers[i]] = r.GetString(i) ?? "";
            rows.Add(d);
        }
        return rows.ToArray();
    }

    private static double D(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void WritesTheCompleteInputSet()
    {
        foreach (var f in new[] { "image_list.txt", "input_catalog.csv", "gaiaxp_synphot.csv", "config.yaml", "truth.csv", "truth_zp.csv" })
            Assert.True(File.Exists(Path.Combine(fx.Dir, f)), f);
        var list = File.ReadAllLines(Path.Combine(fx.Dir, "image_list.txt")).Where(l => !l.StartsWith('#')).ToArray();
        Assert.Equal(3, list.Length);
        foreach (var l in list) Assert.True(File.Exists(Path.Combine(fx.Dir, l)), l);

        var cat = ReadCsv(Path.Combine(fx.Dir, "input_catalog.csv"));
        Assert.InRange(cat.Length, 15, 60);   // the faint end is rendered but undetected
        Assert.Contains(cat, r => r["TYPE"] == "STAR");
        Assert.Contains(cat, r => r["TYPE"] is "EXP" or "DEV" or "SERSIC");
        var truth = ReadCsv(Path.Combine(fx.Dir, "truth.csv"));
        Assert.Equal(fx.Scene.Sources.Count, truth.Length);
        var gaia = ReadCsv(Path.Combine(fx.Dir, "gaiaxp_synphot.csv"));
        Assert.Contains(gaia, g => truth.Single(t => t["gaia_source_id"] == g["source_id"])["in_catalog"] == "True");
        Assert.Contains(gaia, g => truth.Single(t => t["gaia_source_id"] == g["source_id"])["in_catalog"] == "False");
        Assert.Contains(truth, t => t["expect_excluded_saturation"] == "True");
        Assert.Contains(truth, t => t["expect_excluded_crop"] == "True");
    }

    [Fact]
    public void HeadersCarryTheKeysAndZeroPointsTruthSays()
    {
        var zp = ReadCsv(Path.Combine(fx.Dir, "truth_zp.csv"));
        foreach (var row in zp)
        {
            var h = FitsFile.ReadPrimaryHeader(Path.Combine(fx.Dir, "images", $"{Simulator.ImagePrefix}_{row["band"]}.fits"));
            Assert.Equal(row["band"], h.GetString("FILTER"));
            Assert.Equal(D(row["ZP_AUTO"]), h.GetDouble("ZP_AUTO")!.Value, 10);
            Assert.Equal(D(row["ZP_AUTO"]) - D(row["ZP_true"]), D(row["zp_offset"]), 10);
            Assert.InRange(Math.Abs(D(row["zp_offset"])), 0.005, 0.08);
            Assert.Equal(D(row["SKYSIG"]), h.GetDouble("SKYSIG")!.Value, 6);
            foreach (var k in new[] { "EGAIN", "SATURATE", "PEEING", "SEEING", "CRVAL1", "CD1_1", "CRPIX2" })
                Assert.True(h.GetDouble(k).HasValue, k);
            Assert.InRange(h.GetDouble("PEEING")!.Value, 2.5, 4.0);
        }
    }

    /// <summary>
    /// The image's photometric scale is the true ZP, not ZP_AUTO: the aperture flux of the
    /// brightest unsaturated isolated star, in ADU, equals F_true·10^(0.4(ZP_true − 25)).
    /// Tolerance: 5σ of the aperture's sky + shot noise, plus 1e-3 for the clipped NaN pixels.
    /// </summary>
    [Fact]
    public void StarFluxInImageFollowsTrueZeroPoint()
    {
        var sc = fx.Scene;
        var star = sc.Sources.Where(s => s.IsStar && !s.ExpectExcludedSaturation && s.X > 40 && s.Y > 40 && s.X < sc.Width - 40 && s.Y < sc.Height - 40
                                       && sc.Sources.All(o => o == s || Math.Abs(o.X - s.X) > 60 || Math.Abs(o.Y - s.Y) > 60))
                             .OrderByDescending(s => s.Flux[0]).First();
        for (int b = 0; b < sc.Bands.Length; b++)
        {
            var band = sc.Bands[b];
            using var f = FitsFile.Open(Path.Combine(fx.Dir, "images", $"{Simulator.ImagePrefix}_{band.Name}.fits"));
            var img = f.ReadImage();
            double sum = 0; int npix = 0;
            for (int y = (int)star.Y - 26; y <= (int)star.Y + 26; y++)
                for (int x = (int)star.X - 26; x <= (int)star.X + 26; x++)
                {
                    if ((x - star.X) * (x - star.X) + (y - star.Y) * (y - star.Y) > 26 * 26) continue;
                    float v = img[y * sc.Width + x];
                    if (!float.IsFinite(v)) continue;
                    sum += v - band.SkyAt(x, y, sc.Width, sc.Height); npix++;
                }
            double expected = star.Flux[b] * band.RawPerTrueFlux;
            double sigma = Math.Sqrt(npix * band.SkySigma * band.SkySigma + expected / band.Noise.Gain);
            Assert.InRange(sum - expected, -5 * sigma - 1e-3 * expected, 5 * sigma + 1e-3 * expected);
        }
    }

    [Fact]
    public void BlankSkyNoiseMatchesSkySigma()
    {
        var sc = fx.Scene;
        for (int b = 0; b < sc.Bands.Length; b++)
        {
            var band = sc.Bands[b];
            using var f = FitsFile.Open(Path.Combine(fx.Dir, "images", $"{Simulator.ImagePrefix}_{band.Name}.fits"));
            var img = f.ReadImage();
            double s = 0, s2 = 0; long n = 0;
            for (int y = 0; y < sc.Height; y++)
                for (int x = 0; x < sc.Width; x++)
                {
                    float v = img[y * sc.Width + x];
                    if (!float.IsFinite(v)) continue;
                    // Blank: outside every source's stamp (star 26 px; galaxies their own box).
                    bool blank = true;
                    foreach (var src in sc.Sources)
                    {
                        int h = src.IsStar ? SourceRenderer.StarHalfSize : SourceRenderer.GalaxyHalfSize(src.Profile);
                        if (Math.Abs(x - src.X) <= h + 1 && Math.Abs(y - src.Y) <= h + 1) { blank = false; break; }
                    }
                    if (!blank) continue;
                    double d = v - band.SkyAt(x, y, sc.Width, sc.Height);
                    s += d; s2 += d * d; n++;
                }
            Assert.True(n > 5000, $"only {n} blank pixels");
            double sd = Math.Sqrt(s2 / n - (s / n) * (s / n));
            Assert.InRange(sd / band.SkySigma, 1 - NoiseTolerance, 1 + NoiseTolerance);
        }
    }

    [Fact]
    public void SameSeedGivesByteIdenticalFiles_OtherSeedDiffers()
    {
        string dir2 = fx.Dir + "_again", dir3 = fx.Dir + "_other";
        try
        {
            Simulator.Run(new SimulationOptions(dir2, SimulationPreset.Tiny, Seed: 11));
            foreach (var f in Directory.GetFiles(fx.Dir, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(fx.Dir, f);
                Assert.True(File.ReadAllBytes(f).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir2, rel))), rel);
            }
            Simulator.Run(new SimulationOptions(dir3, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 10, Seed: 12));
            Assert.False(File.ReadAllBytes(Path.Combine(fx.Dir, "truth_zp.csv")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir3, "truth_zp.csv"))));
        }
        finally
        {
            foreach (var d in new[] { dir2, dir3 }) try { Directory.Delete(d, true); } catch (IOException) { }
        }
    }
}

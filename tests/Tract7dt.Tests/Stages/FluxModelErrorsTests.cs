using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Pipeline.Stages;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>The catalogue's PSF model error per band: measured from the checks, added to the errors, or the ePSF's when too few stars tell.</summary>
public sealed class FluxModelErrorsTests
{
    private static SourceTable Table(int checkedStars, double excess, int seed)
    {
        var rng = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        int n = checkedStars + 10;
        var t = new SourceTable(n);
        var flux = new double[n]; var err = new double[n]; var cov = new double[n];
        var ratio = new string[n]; var sig = new string[n];
        for (int i = 0; i < n; i++)
        {
            flux[i] = 1e5; err[i] = 100; cov[i] = 150;
            bool check = i < checkedStars;
            double s = 0.001 + 0.003 * rng.NextDouble();
            ratio[i] = check ? Math.Exp(Gauss() * Math.Sqrt(s * s + excess * excess)).ToString("R", CultureInfo.InvariantCulture) : "";
            sig[i] = check ? s.ToString("R", CultureInfo.InvariantCulture) : "";
        }
        // a faint source's check, far noisier than the cap: left out, whatever it says
        ratio[n - 1] = "1.5"; sig[n - 1] = "0.04";
        t.AddDouble("FLUX_m550_fit", flux);
        t.AddDouble("FLUXERR_m550_fit", err);
        t.AddDouble("FLUXERR_m550_cov", cov);
        t.AddText("psf_ap_ratio_m550", ratio);
        t.AddText("psf_ap_lnsig_m550", sig);
        return t;
    }

    [Fact]
    public void The_catalogue_excess_is_added_to_every_flux_error_of_the_band()
    {
        var t = Table(60, 0.01, 1);
        var errors = FluxModelErrors.Measure(t, _ => 0.05);
        var e = Assert.Single(errors);
        Assert.Equal("catalogue", e.Source);
        Assert.Equal(60, e.Stars);
        Assert.InRange(e.Error, 0.008, 0.012);
        FluxModelErrors.Apply(t, errors);
        double expected = Math.Sqrt(100 * 100 + Math.Pow(e.Error * 1e5, 2));
        Assert.Equal(expected, t.Numeric("FLUXERR_m550_fit")[0], 6);
        Assert.Equal(Math.Sqrt(150 * 150 + Math.Pow(e.Error * 1e5, 2)), t.Numeric("FLUXERR_m550_cov")[5], 6);
    }

    /// <summary>Below MinStars the catalogue's estimate is blended with the ePSF's as variances, so one
    /// star more or less moves the band's error by a step of its size, never from one estimate to the other.</summary>
    [Fact]
    public void With_few_checked_stars_the_catalogue_estimate_is_blended_with_the_ePSFs()
    {
        int n = FluxModelErrors.MinStars - 1;
        var t = Table(n, 0.01, 2);
        double alone = FluxModelErrors.Measure(Table(n, 0.01, 2), _ => double.NaN)[0].Error; // the catalogue's own
        var e = Assert.Single(FluxModelErrors.Measure(t, _ => 0.02));
        Assert.Equal(("blend", n), (e.Source, e.Stars));
        Assert.Equal(Math.Sqrt((n * alone * alone + 1 * 0.02 * 0.02) / FluxModelErrors.MinStars), e.Error, 12);
        Assert.InRange(e.Error, 0.8 * alone, 1.3 * alone); // 19 of 20 parts the catalogue's: no jump to 0.02
        // with one checked star there is nothing to blend: the ePSF's stands
        var one = Assert.Single(FluxModelErrors.Measure(Table(1, 0.01, 3), _ => 0.02));
        Assert.Equal(("epsf", 0.02), (one.Source, one.Error));
    }

    [Fact]
    public void Without_an_ePSF_estimate_the_catalogue_stands_alone_from_a_few_stars_or_none()
    {
        var alone = Assert.Single(FluxModelErrors.Measure(Table(FluxModelErrors.MinStarsAlone, 0.01, 4), _ => 0));
        Assert.Equal(("catalogue", FluxModelErrors.MinStarsAlone), (alone.Source, alone.Stars));
        var t = Table(FluxModelErrors.MinStarsAlone - 1, 0.01, 5);
        var none = Assert.Single(FluxModelErrors.Measure(t, _ => 0));
        Assert.Equal(("none", 0.0), (none.Source, none.Error));
        FluxModelErrors.Apply(t, [none]);
        Assert.Equal(100, t.Numeric("FLUXERR_m550_fit")[0]);
    }

    [Fact]
    public void The_record_is_written_per_band()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("t7d-fme").FullName, "outputs", FluxModelErrors.FileName);
        FluxModelErrors.Write(path, [new FluxModelErrors.BandError("m550", 42, 0.0061, 0.998, "catalogue")]);
        Assert.Equal(["band,stars,flux_model_error,psf_over_aperture,source", "m550,42,0.0061,0.998,catalogue"], File.ReadAllLines(path));
    }
}

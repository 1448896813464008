using System.Globalization;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// Draws the scene of a simulation from its seed: band calibrations and PSFs, then stars
/// (number-magnitude law from saturated to undetected, plus a guaranteed set of Gaia-range
/// calibration stars) and Exp/Dev/Sérsic galaxies (some placed as close blends), with
/// smooth spectral energy distributions across the bands.
/// </summary>
public static class SceneBuilder
{
    // Stream ids of SimRandom.ForStream, one per independent part of the scene.
    private const ulong StreamBands = 1, StreamSources = 2;

    /// <summary>Builds the scene for resolved settings. Pure: same settings ⇒ same scene.</summary>
    public static Scene Build(ResolvedSimulation s)
    {
        var bands = BuildBands(s);
        var wcs = BuildWcs(s);
        var sources = BuildSources(s, bands);
        foreach (var src in sources)
        {
            (src.Ra, src.Dec) = wcs.PixelToSky(src.X, src.Y);
            int m = s.CropMargin;
            src.ExpectExcludedCrop = !(src.X >= m && src.X < s.Width - m && src.Y >= m && src.Y < s.Height - m);
        }
        return new Scene { Settings = s, Wcs = wcs, Bands = bands, Sources = sources };
    }

    /// <summary>7DT-like TAN WCS: 0.505″/px, north up and east left with a 0.1° rotation, centred on the image.</summary>
    public static TanWcs BuildWcs(ResolvedSimulation s)
    {
        double scale = ResolvedSimulation.PixelScaleArcsec / 3600.0, rho = 0.1 * Math.PI / 180.0;
        double c = Math.Cos(rho) * scale, sn = Math.Sin(rho) * scale;
        var lin = WcsLinear.FromCd(-c, sn, sn, c);
        return new TanWcs("RA---TAN", "DEC--TAN", 150.1, 2.2, 0.5 * s.Width + 0.5, 0.5 * s.Height + 0.5, lin,
            radeSys: "ICRS", equinox: 2000.0);
    }

    internal static BandSetup[] BuildBands(ResolvedSimulation s)
    {
        var result = new BandSetup[s.Bands.Length];
        for (int b = 0; b < s.Bands.Length; b++)
        {
            var r = SimRandom.ForStream(s.Seed, StreamBands, (ulong)b);
            double lam = Scene.WavelengthOf(s.Bands[b], 400 + 487.5 * b / Math.Max(1, s.Bands.Length - 1));
            double t = Math.Clamp((lam - 400) / 487.5, 0, 1);
            double zpTrue = Math.Round(26.5 + 0.5 * Math.Sin(Math.PI * t) + 0.1 * r.NextGaussian(), 4);   // 5σ point-source depth ≈ 21.5–22 mag
            // Header ZP error: a few 0.01 mag, never zero so the ZP stage has something to find.
            double off = Math.Clamp(0.03 * r.NextGaussian(), -0.08, 0.08);
            if (Math.Abs(off) < 0.005) off = off < 0 ? -0.005 : 0.005;
            double zpAuto = Math.Round(zpTrue + off, 4);
            double skySig = Math.Round(r.Uniform(3.5, 7.0), 3), gain = Math.Round(r.Uniform(1.5, 3.5), 3);
            var noise = NoiseModel.FromSkySigma(skySig, gain, readNoise: 4.0);
            double sat = Math.Round(r.Uniform(40000, 60000));
            double fwhm0 = Math.Clamp(3.45 - 0.7 * t + 0.05 * r.NextGaussian(), 2.7, 3.6);
            result[b] = new BandSetup(s.Bands[b], lam, zpTrue, zpAuto, noise, sat,
                fwhm0, 0.06 * r.Uniform(-1, 1), 0.06 * r.Uniform(-1, 1),
                2.8 + 0.6 * t, 0.2 * r.Uniform(-1, 1), r.Uniform(0.02, 0.05), 0.02 * r.Uniform(-1, 1), r.Uniform(0, Math.PI),
                (skySig * r.Uniform(-0.3, 0.3), skySig * r.Uniform(-0.3, 0.3), skySig * r.Uniform(-0.3, 0.3)));
            if (s.Hard)
            {
                // The reddest band undersampled, PSFs that change by ±15 % over this image (not
                // over a whole frame), a broad faint halo, three times the sky gradient.
                double f = b == s.Bands.Length - 1 ? 2.2 : fwhm0;
                result[b] = result[b] with
                {
                    Fwhm0 = f, FwhmGx = 0.15 * Math.Sign(r.Uniform(-1, 1)), FwhmGy = 0.10 * r.Uniform(-1, 1),
                    SkyGradient = (3 * result[b].SkyGradient.G0, 3 * result[b].SkyGradient.Gx, 3 * result[b].SkyGradient.Gy),
                    WingWeight = 0.12, WingScale = 5.0, WingBeta = 2.0, PsfVariesOverImage = true, MinFwhm = 1.8,
                };
            }
        }
        return result;
    }

    /// <summary>Magnitude drawn from dN/dm ∝ 10^(slope·m) on [m1, m2].</summary>
    private static double PowerLawMag(ref SimRandom r, double slope, double m1, double m2)
    {
        double a = Math.Pow(10, slope * m1), b = Math.Pow(10, slope * m2);
        return Math.Log10(a + r.NextDouble() * (b - a)) / slope;
    }

    /// <summary>
    /// Reference-band magnitude at which a star's peak pixel reaches SATURATE/2 (the pipeline's
    /// saturation mask) in the band where that happens first.
    /// </summary>
    internal static double SaturationMag(BandSetup[] bands)
    {
        double m = double.NegativeInfinity;
        foreach (var b in bands)
        {
            var psf = b.PsfAt(0, 0, 2, 2);
            double peakFrac = 0.94 * (psf.Beta - 1) / (Math.PI * psf.Alpha * psf.Alpha);
            double fTrue = b.Saturate / 2 / peakFrac / b.RawPerTrueFlux;
            m = Math.Max(m, ResolvedSimulation.ZpRef - 2.5 * Math.Log10(fTrue));
        }
        return m;
    }

    private static List<TrueSource> BuildSources(ResolvedSimulation s, BandSetup[] bands)
    {
        var r = SimRandom.ForStream(s.Seed, StreamSources);
        int n = s.Sources;
        int nSat = Math.Max(2, (int)Math.Round(0.005 * n));
        // Gaia-range, unsaturated: the ePSF and ZP stars. At least 20, so that even the tiny
        // preset gives each ePSF cell ~15 stars and the zero point ~10: with the 8 of a plain
        // 8 % both the ePSF's normalisation and the ZP rested on 5–6 stars, a few 0.1 % and
        // ~0.01 mag of noise by themselves.
        int nCal = Math.Max(20, (int)Math.Round(0.08 * n));
        int nStars = Math.Max(Math.Max(1, (int)Math.Round(0.35 * n)), nSat + nCal + 5);
        double mSat = SaturationMag(bands);
        var list = new List<TrueSource>(n);
        double[] t = bands.Select(b => Math.Clamp((b.WavelengthNm - 400) / 487.5, 0, 1) - 0.5).ToArray();
        for (int i = 0; i < n; i++)
        {
            string id = "s" + (i + 1).ToString("D5", CultureInfo.InvariantCulture);
            bool star = i < nStars;
            double mRef;
            if (star)
                mRef = i < nSat ? mSat - r.Uniform(0.3, 2.0)                   // saturated cores
                     : i < nSat + nCal ? r.Uniform(mSat + 0.5, 17.5)           // Gaia-range calibrators
                     : PowerLawMag(ref r, 0.15, mSat + 0.2, 24.0);
            else
                mRef = PowerLawMag(ref r, 0.25, 16.5, 23.0);

            // Position: uniform, or a close companion of an earlier source (blend).
            // Hard: faint stars get close companions too (pairs the ePSF must not take as PSF stars).
            bool blend = list.Count > 10 && (star ? s.Hard && i >= nSat + nCal && r.NextDouble() < 0.10 : r.NextDouble() < 0.08);
            double x, y;
            if (blend)
            {
                var host = list[r.NextInt(list.Count)];
                double d = star ? r.Uniform(4, 10) : r.Uniform(3, 8), a = r.Uniform(0, 2 * Math.PI);
                x = Math.Clamp(host.X + d * Math.Cos(a), 0, s.Width - 1);
                y = Math.Clamp(host.Y + d * Math.Sin(a), 0, s.Height - 1);
            }
            else { x = r.Uniform(-0.5, s.Width - 0.5); y = r.Uniform(-0.5, s.Height - 0.5); }

            // SED: smooth colour term, galaxies add a break of depth D blueward of λb.
            var flux = new double[bands.Length];
            double slope = star ? r.Uniform(-1.2, 0.8) : r.Uniform(-1.5, 0.5);
            double curve = r.Uniform(-0.5, 0.5);
            double lamBreak = r.Uniform(420, 700), depth = star ? 0 : r.Uniform(0, 0.6);
            for (int b = 0; b < bands.Length; b++)
            {
                double mag = mRef + slope * t[b] + curve * t[b] * t[b] + (bands[b].WavelengthNm < lamBreak ? depth : 0);
                flux[b] = Math.Pow(10, -0.4 * (mag - ResolvedSimulation.ZpRef));
            }

            if (star)
            {
                list.Add(new TrueSource { Id = id, Kind = TrueKind.Star, X = x, Y = y, Flux = flux });
                continue;
            }
            double u = r.NextDouble();
            var kind = u < 0.4 ? TrueKind.Exp : u < 0.6 ? TrueKind.Dev : TrueKind.Sersic;
            double nS = kind switch { TrueKind.Exp => 1.0, TrueKind.Dev => 4.0, _ => Math.Round(r.Uniform(0.6, 5.0), 3) };
            double reMed = 3.0 * Math.Pow(10, -0.12 * (mRef - 20));
            double re = Math.Clamp(reMed * Math.Exp(0.35 * r.NextGaussian()), 0.6, kind == TrueKind.Dev ? 8.0 : 15.0);
            double ell = r.Uniform(0, 0.7);
            double theta = r.Uniform(-90, 90);
            list.Add(new TrueSource
            {
                Id = id, Kind = kind, X = x, Y = y, Flux = flux, Blend = blend,
                SersicN = nS, Re = Math.Round(re, 4), Ell = Math.Round(ell, 4), Theta = Math.Round(theta, 3),
            });
        }
        return list;
    }
}

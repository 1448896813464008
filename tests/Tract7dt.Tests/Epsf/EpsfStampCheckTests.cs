using Tract7dt.Science.Errors;
using Tract7dt.Science.Psf.Stage;
using Xunit;

namespace Tract7dt.Tests.Epsf;

/// <summary>Every ePSF stamp is checked before a fit uses it: a PSF passes, damage does not.</summary>
public sealed class EpsfStampCheckTests
{
    private const int N = 25;

    private static float[] Gaussian(double cx = 12, double cy = 12, double scale = 1)
    {
        var s = new float[N * N];
        for (int j = 0; j < N; j++)
            for (int i = 0; i < N; i++)
                s[j * N + i] = (float)(scale * Math.Exp(-0.5 * ((i - cx) * (i - cx) + (j - cy) * (j - cy)) / 2.0));
        return s;
    }

    [Fact]
    public void A_PSF_passes_whatever_its_normalisation()
    {
        Assert.Null(EpsfStampCheck.Problem(Gaussian(), N, N));
        Assert.Null(EpsfStampCheck.Problem(Gaussian(scale: 4), N, N)); // oversampled stamps sum to o²
        var lobes = Gaussian();
        lobes[0] = -0.05f; // small negative wings, as a Fourier-shifted PSF has
        Assert.Null(EpsfStampCheck.Problem(lobes, N, N));
        var corner = Gaussian();
        corner[0] = float.NaN; // a few non-finite values are read as 0, as the original does
        Assert.Null(EpsfStampCheck.Problem(corner, N, N));
    }

    [Fact]
    public void Damage_fails_and_names_the_file()
    {
        var nan = Gaussian(); for (int k = 0; k < nan.Length; k += 5) nan[k] = float.NaN;
        var offCentre = Gaussian(cx: 2, cy: 3);
        var scaled = Gaussian(); for (int k = 0; k < scaled.Length; k += 7) scaled[k] *= -3e21f; // a flipped exponent byte
        var rng = new Random(5);
        var noise = Enumerable.Range(0, N * N).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var negative = Gaussian(scale: -1);
        foreach (var bad in new[] { nan, offCentre, scaled, noise, negative })
            Assert.NotNull(EpsfStampCheck.Problem(bad, N, N));
        var e = Assert.Throws<Tract7dtException>(() => EpsfStampCheck.Require(scaled, N, N, "/w/EPSFs/m550/r00_c00/epsf.npy"));
        Assert.Equal(ErrorCodes.EpsfInvalid, e.Code);
        Assert.Contains("/w/EPSFs/m550/r00_c00/epsf.npy", e.Message);
        Assert.Contains("tract7dt verify", e.Message);
    }
}

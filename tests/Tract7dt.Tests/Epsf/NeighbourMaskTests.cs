using Tract7dt.Science.Psf.Epsf;
using Tract7dt.Science.Psf.Stage;
using Xunit;

namespace Tract7dt.Tests.Epsf;

/// <summary>Catalogue neighbours in PSF star stamps (docs/algorithms.md, "PSF stars").</summary>
public class NeighbourMaskTests
{
    private static EpsfStar Stamp(int size = 31)
    {
        var data = new float[size * size];
        var w = Enumerable.Repeat(1.0, size * size).ToArray();
        return new EpsfStar("0", size, data, w, originX: 100, originY: 200, centerX: 15, centerY: 15);
    }

    [Fact]
    public void The_star_itself_is_not_its_own_neighbour()
    {
        var st = Stamp();
        // cell origin (1000, 2000): the star sits at white-frame (1115, 2215)
        var nb = new Neighbours([1115.3f], [2214.8f], [1e6f]);
        var outp = NeighbourMask.Apply(st, nb, 1000, 2000, fwhm: 3, sigmaSky: 1, out int masked);
        Assert.Same(st, outp);
        Assert.Equal(0, masked);
    }

    [Fact]
    public void A_faint_neighbour_is_masked_out_to_its_radius_and_nothing_else()
    {
        var st = Stamp();
        float x = 1115 + 9, y = 2215;
        double r = NeighbourMask.Radius(flux: 5, fwhm: 3, sigmaSky: 1);
        Assert.Equal(4.5, r, 9); // at the noise level: 1.5 FWHM
        var outp = NeighbourMask.Apply(st, new Neighbours([x], [y], [5f]), 1000, 2000, 3, 1, out int masked);
        Assert.NotNull(outp);
        int expected = 0;
        for (int j = 0; j < 31; j++)
            for (int i = 0; i < 31; i++)
            {
                bool inside = (i - 24) * (i - 24) + (j - 15) * (j - 15) <= r * r;
                if (inside) expected++;
                Assert.Equal(inside ? 0.0 : 1.0, outp!.Weights[j * 31 + i]);
            }
        Assert.Equal(expected, masked);
        Assert.All(st.Weights, v => Assert.Equal(1.0, v)); // the input is untouched
    }

    [Fact]
    public void A_bright_neighbour_reaching_the_core_rejects_the_star()
    {
        var st = Stamp();
        // 9 px away, peak S/N ≈ 1e5/(1·9) ≈ 1e4 → radius 1.5 + 4 = 5.5 FWHM (capped at 6) = 16.5 px
        Assert.Null(NeighbourMask.Apply(st, new Neighbours([1124f], [2215f], [1e5f]), 1000, 2000, 3, 1, out _));
        // far away the same source only masks the stamp's edge
        Assert.NotNull(NeighbourMask.Apply(st, new Neighbours([1145f], [2215f], [1e5f]), 1000, 2000, 3, 1, out _));
    }

    [Fact]
    public void A_neighbour_without_a_flux_gets_three_fwhm()
    {
        Assert.Equal(9.0, NeighbourMask.Radius(double.NaN, 3, 1), 9);
    }
}

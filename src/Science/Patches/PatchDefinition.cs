using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Patches;

/// <summary>
/// One fitting patch (Part B 1.3): the <see cref="Base"/> box owns sources, the
/// <see cref="Roi"/> box (base plus a halo, clamped to the frame) holds the pixels fitted.
/// Boxes are half-open, in the white (post-crop) frame.
/// </summary>
public sealed record PatchDefinition(
    int EpsfRow, int EpsfCol, int PatchRow, int PatchCol,
    PixelBox Base, PixelBox Roi, int HaloPix)
{
    public string EpsfTag => EpsfGrid.Tag(EpsfRow, EpsfCol);

    /// <summary><c>r{..}_c{..}_pr{..}_pc{..}</c>, zero-padded to two digits.</summary>
    public string PatchTag => $"{EpsfTag}_pr{PatchRow:00}_pc{PatchCol:00}";
}

/// <summary>Cuts the active ePSF cells into <c>epsf.ngrid</c>² patches each.</summary>
public static class PatchLayout
{
    /// <summary>h = max(⌊(S−1)/2⌋ + 2, halo_pix_min), S = <c>epsf.final_psf_size</c>.</summary>
    public static int HaloPix(int finalPsfSize, int haloPixMin) => Math.Max((finalPsfSize - 1) / 2 + 2, haloPixMin);

    /// <param name="grid">The ePSF grid of the white frame.</param>
    /// <param name="patchesPerCell">P = <c>epsf.ngrid</c>.</param>
    /// <param name="haloPix">Halo h (see <see cref="HaloPix"/>).</param>
    /// <param name="activeCells">Tags of the active cells, or null for every cell.</param>
    public static IReadOnlyList<PatchDefinition> Build(EpsfGrid grid, int patchesPerCell, int haloPix, IReadOnlySet<string>? activeCells)
    {
        if (patchesPerCell < 1)
            throw new Tract7dtException(ErrorCodes.BadPatchGeometry, $"epsf.ngrid must be ≥ 1, got {patchesPerCell}.");
        var list = new List<PatchDefinition>();
        foreach (var (er, ec, tag, cell) in grid.Cells())
        {
            if (activeCells is not null && !activeCells.Contains(tag)) continue;
            int w = cell.Width, v = cell.Height;
            if (w <= 0 || v <= 0)
                throw new Tract7dtException(ErrorCodes.BadPatchGeometry,
                    $"ePSF cell {tag} has a non-positive size ({w}×{v} px): the image ({grid.Width}×{grid.Height} px after crop) is too small for epsf.epsf_ngrid={grid.Ngrid}; lower epsf.epsf_ngrid or crop.margin.");
            int px = w / patchesPerCell, py = v / patchesPerCell;
            if (px <= 0 || py <= 0)
                throw new Tract7dtException(ErrorCodes.BadPatchGeometry,
                    $"epsf.ngrid={patchesPerCell} is too fine for ePSF cell {tag} ({w}×{v} px): lower epsf.ngrid.");
            for (int pr = 0; pr < patchesPerCell; pr++)
                for (int pc = 0; pc < patchesPerCell; pc++)
                {
                    var b = new PixelBox(
                        cell.X0 + pc * px, pc == patchesPerCell - 1 ? cell.X1 : cell.X0 + (pc + 1) * px,
                        cell.Y0 + pr * py, pr == patchesPerCell - 1 ? cell.Y1 : cell.Y0 + (pr + 1) * py);
                    var roi = new PixelBox(
                        Math.Max(0, b.X0 - haloPix), Math.Min(grid.Width, b.X1 + haloPix),
                        Math.Max(0, b.Y0 - haloPix), Math.Min(grid.Height, b.Y1 + haloPix));
                    list.Add(new PatchDefinition(er, ec, pr, pc, b, roi, haloPix));
                }
        }
        return list;
    }
}

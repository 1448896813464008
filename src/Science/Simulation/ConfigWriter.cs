using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Simulation;

/// <summary>Writes the pipeline config (YAML, keys of docs/config.md §8) that runs on a simulated set.</summary>
internal static class ConfigWriter
{
    public static void Write(Scene scene, string path)
    {
        var s = scene.Settings;
        int cw = s.Width - 2 * s.CropMargin, ch = s.Height - 2 * s.CropMargin;
        // ePSF cells of ~600 px hold enough bright unsaturated stars for an ePSF (a 300-px cell
        // of the sample field often has none); patches ~150-300 px. The full tile gets 7 × 5.
        int epsfNgrid = Math.Clamp(Math.Min(cw, ch) / 600, 1, 7);
        int ngrid = Math.Clamp(Math.Min(cw, ch) / epsfNgrid / 150, 1, 6);
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("# Written by `tract7dt simulate` (seed ").Append(s.Seed.ToString(CultureInfo.InvariantCulture))
          .Append(", ").Append(I(s.Width)).Append('x').Append(I(s.Height)).Append(", ").Append(I(scene.Bands.Length))
          .Append(" bands). Relative paths are relative to this file.\n");
        sb.Append("inputs:\n");
        sb.Append("  tile_name: \"SIM_seed").Append(s.Seed.ToString(CultureInfo.InvariantCulture)).Append("\"\n");
        sb.Append("  input_catalog: \"input_catalog.csv\"\n");
        sb.Append("  image_list_file: \"image_list.txt\"\n");
        sb.Append("  gaiaxp_synphot_csv: \"gaiaxp_synphot.csv\"\n");
        sb.Append("outputs:\n  work_dir: \"work\"\n");
        sb.Append("image_scaling:\n  zp_ref: 25.0\n");
        sb.Append("crop:\n  enabled: true\n  margin: ").Append(I(s.CropMargin)).Append('\n');
        sb.Append("source_saturation_cut:\n  enabled: true\n  radius_pix: 20.0\n  require_all_bands: false\n");
        if (s.Hard)
        {
            // The original's ePSF settings as they are (per-star annulus on), cells of ~470 px
            // holding 4-8 PSF stars each.
            sb.Append("epsf:\n  epsf_ngrid: 3\n  ngrid: 3\n");
            sb.Append("patch_run:\n  max_workers: 2\n  cutout_max_sources: 10\n");
            sb.Append("plotting:\n  dpi: 100\n");
            sb.Append("zp:\n  enabled: true\n  gaia_mag_min: 8.0\n  gaia_mag_max: 18.0\n");
            File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
            return;
        }
        sb.Append("epsf:\n  epsf_ngrid: ").Append(I(epsfNgrid)).Append("\n  ngrid: ").Append(I(ngrid)).Append('\n');
        // The per-star background annulus (20-30 px) stays on, as in the original's defaults:
        // the band PSF model refers its stars to the sky beyond the stamp, so the annulus no
        // longer takes the PSF's wing light out of the normalisation (docs/algorithms.md).
        sb.Append("patch_run:\n  max_workers: 2\n  cutout_max_sources: 10\n");
        // Diagnostic PNGs at 100 dpi: the sample run stays a few minutes on 2 cores (300 dpi,
        // the default, triples the plotting time and it dominates small patches).
        sb.Append("plotting:\n  dpi: 100\n");
        sb.Append("zp:\n  enabled: true\n  gaia_mag_min: 8.0\n  gaia_mag_max: 18.0\n");
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }
}

using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Simulation;

/// <summary>Writes the pipeline config (YAML, keys of spec config.md §8) that runs on a simulated set.</summary>
internal static class ConfigWriter
{
    public static void Write(Scene scene, string path)
    {
        var s = scene.Settings;
        int cw = s.Width - 2 * s.CropMargin, ch = s.Height - 2 * s.CropMargin;
        // ePSF cells must hold 61-px cutouts plus a 10-px edge pad (≥ 82 px) with room to
        // spare; patches ~150-300 px. The full tile gets the defaults (7 and 6).
        int epsfNgrid = Math.Clamp(Math.Min(cw, ch) / 300, 1, 7);
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
        sb.Append("epsf:\n  epsf_ngrid: ").Append(I(epsfNgrid)).Append("\n  ngrid: ").Append(I(ngrid)).Append('\n');
        sb.Append("patch_run:\n  max_workers: 2\n");
        sb.Append("zp:\n  enabled: true\n  gaia_mag_min: 8.0\n  gaia_mag_max: 18.0\n");
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }
}

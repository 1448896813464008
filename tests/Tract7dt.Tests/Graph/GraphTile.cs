using Tract7dt.Science.Config;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Tests.Graph;

/// <summary>
/// A small simulated input set (3 bands, 160 × 160 px, 12 sources) made once per test run
/// and copied per test, with helpers to load its config and edit it.
/// </summary>
internal static class GraphTile
{
    public static readonly string[] BandNames = ["m400", "m550", "m700"];

    private static readonly Lazy<string> Template = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"t7d-graph-template-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Simulator.Run(new SimulationOptions(dir, SimulationPreset.Tiny, BandNames, 160, 160, 12));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    });

    /// <summary>A fresh copy of the template input set in <paramref name="dir"/>; returns its config path.</summary>
    public static string CreateIn(string dir)
    {
        CopyTree(Template.Value, dir);
        return Path.Combine(dir, "config.yaml");
    }

    /// <summary>Copies a folder tree keeping each file's last-write time (as cp -p would).</summary>
    public static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string dest = Path.Combine(to, Path.GetRelativePath(from, f));
            File.Copy(f, dest, overwrite: true);
            File.SetLastWriteTimeUtc(dest, File.GetLastWriteTimeUtc(f));
        }
    }

    public static StageContext Context(string configPath, ILogSink? sink = null)
    {
        var (config, _) = ConfigLoader.Load(configPath);
        return new StageContext(config, sink ?? new MemoryLogSink());
    }

    /// <summary>Sets <c>section.key: value</c> in the YAML (adds the section or key if absent).</summary>
    public static void SetConfig(string configPath, string section, string key, string value)
    {
        var lines = File.ReadAllLines(configPath).ToList();
        int s = lines.FindIndex(l => l == section + ":");
        if (s < 0)
        {
            lines.Add(section + ":");
            lines.Add($"  {key}: {value}");
        }
        else
        {
            int k = s + 1;
            while (k < lines.Count && lines[k].StartsWith("  ", StringComparison.Ordinal) && !lines[k].TrimStart().StartsWith(key + ":", StringComparison.Ordinal)) k++;
            if (k < lines.Count && lines[k].StartsWith("  " + key + ":", StringComparison.Ordinal)) lines[k] = $"  {key}: {value}";
            else lines.Insert(s + 1, $"  {key}: {value}");
        }
        File.WriteAllLines(configPath, lines);
    }

    /// <summary>Adds 1 to the first data pixel of a band's FITS image (float32/float64/int16 alike: flips one data byte).</summary>
    public static void EditPixels(string tileDir, string band)
    {
        string path = Path.Combine(tileDir, "images", $"{Simulator.ImagePrefix}_{band}.fits");
        var bytes = File.ReadAllBytes(path);
        int dataStart = HeaderEnd(bytes);
        bytes[dataStart + 4 * 1000 + 2] ^= 0x01; // a low mantissa bit of one pixel: still a finite value
        File.WriteAllBytes(path, bytes);
    }

    private static int HeaderEnd(byte[] bytes)
    {
        for (int card = 0; card * 80 < bytes.Length; card++)
            if (System.Text.Encoding.ASCII.GetString(bytes, card * 80, 8) == "END     ")
                return (card * 80 / 2880 + 1) * 2880;
        throw new InvalidDataException("no END card");
    }
}

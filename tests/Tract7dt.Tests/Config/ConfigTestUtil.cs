using Tract7dt.Science.Config;

namespace Tract7dt.Tests.Config;

/// <summary>A temporary folder with a config file in it, removed on dispose.</summary>
internal sealed class TempConfigDir : IDisposable
{
    public TempConfigDir()
    {
        Root = Path.Join(Path.GetTempPath(), "t7d_cfg_" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        // Resolve links in the temp root itself (e.g. /tmp -> /private/tmp) so expected paths compare equal.
        Root = PathResolution.Canonicalize(Root);
    }

    public string Root { get; }

    public string Write(string yaml, string name = "config.yaml")
    {
        string p = Path.Join(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, yaml);
        return p;
    }

    public (PipelineConfig Config, IReadOnlyList<string> Warnings) Load(string yaml) =>
        ConfigLoader.Load(Write(yaml));

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

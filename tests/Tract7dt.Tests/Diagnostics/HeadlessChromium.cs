using System.Diagnostics;
using Xunit;

namespace Tract7dt.Tests.Diagnostics;

/// <summary>Debian's Chromium, headless, for the tests that look at a page (.ci/run installs it).</summary>
internal static class HeadlessChromium
{
    /// <summary>The browser, or null when it is not installed.</summary>
    public static string? Path { get; } = new[] { Environment.GetEnvironmentVariable("T7D_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
        .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    public const string SkipReason = "Chromium is not installed (apt-get install chromium; .ci/run does)";

    /// <summary>Runs the browser on a local page; returns its standard output (the DOM with --dump-dom).</summary>
    public static string Run(string page, params string[] extra)
    {
        var psi = new ProcessStartInfo(Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // root in CI: no sandbox; a private profile so parallel runs do not share one
        string profile = Directory.CreateTempSubdirectory("t7d-chromium").FullName;
        foreach (string a in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                     $"--user-data-dir={profile}", "--allow-file-access-from-files", "--virtual-time-budget=10000" })
            psi.ArgumentList.Add(a);
        foreach (string a in extra) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(new Uri(page).AbsoluteUri);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish in 120 s"); }
        try { Directory.Delete(profile, true); } catch (IOException) { }
        if (p.ExitCode != 0) throw new InvalidOperationException($"chromium exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}

/// <summary>A fact that needs Chromium; skipped with the reason when it is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Path is null) Skip = HeadlessChromium.SkipReason;
    }
}

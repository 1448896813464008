using Tract7dt.Science.Logging;
using Xunit;

namespace Tract7dt.Tests.Logging;

public class LogFormatterTests
{
    private static readonly DateTime T = new(2025, 1, 31, 23, 59, 59, 123);

    [Fact]
    public void Default_template_matches_the_originals_layout()
    {
        var f = new LogFormatter();
        Assert.Equal("2025-01-31 23:59:59,123 | tract7dt.pipeline | INFO | hello",
            f.Format(T, LogLevel.Info, "tract7dt.pipeline", "hello"));
    }

    [Fact]
    public void Width_alignment_and_literal_percent_are_honoured()
    {
        var f = new LogFormatter("[%(levelname)-8s] %(levelno)s%% %(message)s");
        Assert.Equal("[WARNING ] 30% x", f.Format(T, LogLevel.Warning, "c", "x"));
        var g = new LogFormatter("%(levelname)8s|%(message)s");
        Assert.Equal("    INFO|m", g.Format(T, LogLevel.Info, "c", "m"));
    }

    [Theory]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData(" WARN ", LogLevel.Warning)]
    [InlineData("fatal", LogLevel.Critical)]
    [InlineData("chatty", LogLevel.Info)]
    public void Level_names_parse_like_pythons(string name, LogLevel expected) =>
        Assert.Equal(expected, Log.ParseLevel(name));

    [Fact]
    public void File_sink_appends_and_filters_by_level()
    {
        var dir = Directory.CreateTempSubdirectory("t7d-log");
        var path = Path.Combine(dir.FullName, "sub", "run.log");
        using (var sink = new TextLogSink(null, path, LogLevel.Info))
        {
            var log = new Log(sink, "tract7dt.cli");
            log.Debug("hidden");
            log.Info("first");
        }
        using (var sink = new TextLogSink(null, path, LogLevel.Info))
            new Log(sink, "tract7dt.cli").Warn("second");
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("| INFO | first", lines[0]);
        Assert.EndsWith("| WARNING | second", lines[1]);
        dir.Delete(true);
    }
}

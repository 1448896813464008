using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tract7dt.Science.IO;

/// <summary>
/// The work directory's own JSON files (frames manifest, catalog state, stage stamps, payload
/// list): one serializer setting and one atomic write, so every such file has the same look
/// and a killed run never leaves half of one. Files that Python users read in the original's
/// format go through <see cref="PythonJson"/> instead.
/// </summary>
public static class JsonFile
{
    /// <summary>
    /// Indented, properties in declaration order, null properties left out, NaN and ±∞ as
    /// the strings "NaN", "Infinity", "-Infinity" (a manifest may hold an unmeasured value).
    /// </summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The file's text: <paramref name="value"/> serialized, then a newline.</summary>
    public static string ToText<T>(T value) => JsonSerializer.Serialize(value, Options) + "\n";

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> atomically.</summary>
    public static void Write<T>(string path, T value) => AtomicFile.WriteAllText(path, ToText(value));

    /// <summary>Writes only when the text changes, so the file's date moves only then. Returns true when written.</summary>
    public static bool WriteIfChanged<T>(string path, T value) => AtomicFile.WriteAllTextIfChanged(path, ToText(value));

    /// <summary>Parses <paramref name="text"/> with <see cref="Options"/>.</summary>
    public static T? Parse<T>(string text) => JsonSerializer.Deserialize<T>(text, Options);
}

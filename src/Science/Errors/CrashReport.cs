using System.Globalization;

namespace Tract7dt.Science.Errors;

/// <summary>
/// What an unexpected exception becomes for the user: one coded line (<see cref="ErrorCodes.Internal"/>)
/// naming a file that holds the stack trace, so no command or task ever ends in a raw trace.
/// </summary>
public static class CrashReport
{
    /// <summary>Writes the exception to a crash file (in <paramref name="folder"/> when given and
    /// writable, else the temp folder) and returns the line to show.</summary>
    public static string Write(Exception ex, string what, string? folder = null)
    {
        string name = string.Create(CultureInfo.InvariantCulture,
            $"tract7dt-crash-{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-{Environment.ProcessId}.log");
        string? written = null;
        foreach (string? dir in new[] { folder, Path.GetTempPath() })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            try
            {
                string path = Path.Combine(dir, name);
                File.WriteAllText(path, $"{what}{Environment.NewLine}{ex}{Environment.NewLine}");
                written = path;
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        string first = ex.Message.Split('\n')[0].Trim();
        return $"error {ErrorCodes.Internal}: {what} failed unexpectedly ({ex.GetType().Name}: {first}). " +
               (written is null ? "" : $"The stack trace is in {written}; ") +
               "please report it with that file.";
    }
}

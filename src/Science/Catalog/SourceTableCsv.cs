using System.Globalization;
using System.Text;
using CsvHelper;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// Reads and writes <see cref="SourceTable"/>s as CSV (docs/outputs.md §1.1): comma separator,
/// one header row, RFC 4180 quoting (a field with a comma, quote or line break is quoted,
/// inner quotes doubled), <c>\n</c> line ends, UTF-8 without BOM, invariant culture.
/// </summary>
public static class SourceTableCsv
{
    private static CsvReaderOptions ReadOptions() => new()
    {
        HasHeader = false,
        Separator = ',',
        Mode = CsvMode.Rfc4180,
        TrimWhitespace = false,                                  // leading spaces are part of the text (pandas keeps them)
        SkipEmptyLines = true,                                   // pandas skips blank lines
        TrackLineNumbers = true,
        FieldCountMismatch = CsvFieldCountHandling.Allow,        // checked below against the header, with the line number
        MissingField = CsvMissingFieldHandling.ReturnEmpty,
        MalformedData = CsvMalformedDataHandling.Recover,        // a stray quote inside an unquoted field stays text
    };

    /// <summary>
    /// Read a CSV file into text columns (every cell's exact text). Duplicate header names
    /// get <c>.1</c>, <c>.2</c>, … appended, as pandas does. A row shorter than the header is
    /// padded with empty (missing) cells; a longer one is an error naming the line.
    /// <paramref name="what"/> names the file's role in messages (e.g. "Input catalog").
    /// </summary>
    public static SourceTable Read(string path, string what = "CSV file")
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.CatalogNotFound,
                $"{what} not found: {path}. Check the path in the config (relative paths are taken from the config file's folder).");
        using var reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        return Read(reader, path, what);
    }

    /// <summary>Read CSV text from a reader; <paramref name="label"/> is the file name used in messages.</summary>
    public static SourceTable Read(TextReader reader, string label, string what = "CSV file")
    {
        using var csv = CsvReader.Create(reader, ReadOptions(), leaveOpen: true);
        string[]? header = null;
        var rows = new List<string[]>();
        var lines = new List<int>();
        try
        {
            while (csv.Read())
            {
                int line = (int)csv.LineNumber;   // first line of the record (quoted fields may span lines)
                var rec = new string[csv.FieldCount];
                for (int i = 0; i < rec.Length; i++) rec[i] = csv.GetString(i);
                if (header is null) { header = rec; continue; }
                if (rec.Length > header.Length)
                    throw new Tract7dtException(ErrorCodes.CatalogMalformed,
                        $"{what} {label}, line {line}: expected {header.Length} fields (as in the header), saw {rec.Length}. " +
                        "Quote any field that contains a comma.");
                if (rec.Length < header.Length)
                {
                    var padded = new string[header.Length];
                    Array.Fill(padded, "");
                    rec.CopyTo(padded, 0);
                    rec = padded;
                }
                rows.Add(rec);
                lines.Add(line);
            }
        }
        catch (CsvFormatException e)
        {
            throw new Tract7dtException(ErrorCodes.CatalogMalformed,
                $"{what} {label} is not valid CSV near line {e.LineNumber}: {e.Message.Split('\n')[0]}", e);
        }
        if (header is null)
            throw new Tract7dtException(ErrorCodes.CatalogMalformed,
                $"{what} {label} is empty: it needs a header row naming the columns.");

        var table = new SourceTable(rows.Count, lines);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < header.Length; c++)
        {
            string name = header[c];
            for (int k = 1; !seen.Add(name); k++) name = header[c] + "." + k.ToString(CultureInfo.InvariantCulture);
            var values = new string[rows.Count];
            for (int r = 0; r < rows.Count; r++) values[r] = rows[r][c];
            table.Add(new TextColumn(name, values));
        }
        return table;
    }

    /// <summary>
    /// Write <paramref name="table"/> to <paramref name="path"/> atomically (temporary file,
    /// then rename), creating parent folders.
    /// </summary>
    public static void Write(SourceTable table, string path) =>
        IO.AtomicFile.WriteText(path, w => Write(table, w));

    /// <summary>Write <paramref name="table"/> as CSV text.</summary>
    public static void Write(SourceTable table, TextWriter writer)
    {
        var options = new CsvWriterOptions
        {
            Separator = ',',
            NewLine = "\n",
            Mode = CsvMode.Rfc4180,
            Injection = CsvInjection.None,
            FormatProvider = CultureInfo.InvariantCulture,
        };
        using var csv = CsvWriter.Create(writer, options, leaveOpen: true);
        var cols = table.Columns;
        foreach (var c in cols) csv.WriteField(c.Name, Quoting(c.Name));
        csv.EndRecord();
        for (int r = 0; r < table.RowCount; r++)
        {
            for (int c = 0; c < cols.Count; c++)
            {
                string s = cols[c].FormatCell(r);
                csv.WriteField(s, Quoting(s));
            }
            csv.EndRecord();
        }
    }

    /// <summary>Minimal quoting (Python's csv QUOTE_MINIMAL): only fields with a comma, quote or line break.</summary>
    public static bool NeedsQuotes(string field) => field.AsSpan().IndexOfAny(",\"\r\n") >= 0;

    private static CsvQuoting Quoting(string field) => NeedsQuotes(field) ? CsvQuoting.Always : CsvQuoting.WhenNeeded;
}

using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Fits;

/// <summary>The type of one binary-table column (FITS 4.0 §7.3: TFORM K, D, L, nA).</summary>
public enum BinaryColumnKind
{
    /// <summary>64-bit signed integer (K); a null is <see cref="BinaryTableColumn.NullInt"/> (TNULL).</summary>
    Int64,
    /// <summary>IEEE double (D); a null is NaN.</summary>
    Float64,
    /// <summary>Logical (L): 'T', 'F', or 0 for a null.</summary>
    Logical,
    /// <summary>ASCII text of a fixed width (nA), blank-padded.</summary>
    Text,
}

/// <summary>One column of a binary table: name, unit, and its values (one array, by kind).</summary>
public sealed record BinaryTableColumn(string Name, BinaryColumnKind Kind, string? Unit,
    long?[]? Ints = null, double[]? Doubles = null, bool?[]? Logicals = null, string[]? Texts = null)
{
    /// <summary>The TNULL value of an integer column.</summary>
    public const long NullInt = long.MinValue;

    /// <summary>Bytes per row: 8, 8, 1, or the longest text's UTF-8 length (at least 1).</summary>
    public int Width => Kind switch
    {
        BinaryColumnKind.Int64 or BinaryColumnKind.Float64 => 8,
        BinaryColumnKind.Logical => 1,
        _ => Math.Max(1, Texts!.Max(t => Encoding.UTF8.GetByteCount(t ?? ""))),
    };

    public int Rows => Ints?.Length ?? Doubles?.Length ?? Logicals?.Length ?? Texts!.Length;
}

public sealed partial class FitsWriter
{
    /// <summary>
    /// Writes a BINTABLE extension (after a primary HDU, e.g. <see cref="AddEmptyPrimary"/>):
    /// one row per table row, big-endian, padded to a whole block. <paramref name="header"/> adds
    /// cards (EXTNAME, …); the structural ones are derived from the columns.
    /// </summary>
    public void WriteBinaryTable(IReadOnlyList<BinaryTableColumn> columns, FitsHeader? header = null)
    {
        EnsureOpen();
        if (_hduCount == 0) throw new InvalidOperationException("A binary table is an extension: write the primary HDU first.");
        if (_pixelsLeft != 0) throw new InvalidOperationException($"The previous image HDU still needs {_pixelsLeft} pixels.");
        int rows = columns.Count == 0 ? 0 : columns[0].Rows;
        if (columns.Any(c => c.Rows != rows)) throw new ArgumentException("Every column needs the same number of rows.", nameof(columns));
        var widths = columns.Select(c => c.Width).ToArray();
        int rowBytes = widths.Sum();

        var rec = new List<string>();
        void Add(string key, object value, string comment) => FitsHeaderFormatter.Format(new FitsCard(key, value, comment), rec);
        Add("XTENSION", "BINTABLE", "binary table extension");
        Add("BITPIX", 8L, "8-bit bytes");
        Add("NAXIS", 2L, "2-dimensional table");
        Add("NAXIS1", (long)rowBytes, "bytes per row");
        Add("NAXIS2", (long)rows, "rows");
        Add("PCOUNT", 0L, "no heap");
        Add("GCOUNT", 1L, "one group");
        Add("TFIELDS", (long)columns.Count, "columns");
        for (int j = 0; j < columns.Count; j++)
        {
            var c = columns[j];
            string n = (j + 1).ToString(CultureInfo.InvariantCulture);
            Add("TTYPE" + n, c.Name, "");
            Add("TFORM" + n, c.Kind switch
            {
                BinaryColumnKind.Int64 => "K",
                BinaryColumnKind.Float64 => "D",
                BinaryColumnKind.Logical => "L",
                _ => widths[j].ToString(CultureInfo.InvariantCulture) + "A",
            }, "");
            if (c.Kind == BinaryColumnKind.Int64) Add("TNULL" + n, BinaryTableColumn.NullInt, "empty cell");
            if (!string.IsNullOrEmpty(c.Unit)) Add("TUNIT" + n, c.Unit, "");
        }
        if (header is not null)
            foreach (var card in header)
                if (!FitsHeaderFormatter.IsStructural(card.Key.ToUpperInvariant()) && !IsTableStructural(card.Key))
                    FitsHeaderFormatter.Format(card, rec);
        rec.Add("END".PadRight(80));
        int blocks = (rec.Count * 80 + BlockSize - 1) / BlockSize;
        var sb = new StringBuilder(blocks * BlockSize);
        foreach (var r in rec) sb.Append(r);
        sb.Append(' ', blocks * BlockSize - sb.Length);
        _out!.Write(Encoding.ASCII.GetBytes(sb.ToString()));
        _hduCount++;

        var row = new byte[rowBytes];
        long written = 0;
        for (int i = 0; i < rows; i++)
        {
            Array.Clear(row);
            int at = 0;
            for (int j = 0; j < columns.Count; j++)
            {
                var c = columns[j];
                var cell = row.AsSpan(at, widths[j]);
                switch (c.Kind)
                {
                    case BinaryColumnKind.Int64: BinaryPrimitives.WriteInt64BigEndian(cell, c.Ints![i] ?? BinaryTableColumn.NullInt); break;
                    case BinaryColumnKind.Float64: BinaryPrimitives.WriteDoubleBigEndian(cell, c.Doubles![i]); break;
                    case BinaryColumnKind.Logical: cell[0] = c.Logicals![i] switch { true => (byte)'T', false => (byte)'F', null => 0 }; break;
                    default:
                        // padded with ASCII NUL (the row is cleared), which ends a string (FITS 4.0
                        // §7.3.3.1): astropy's Table reads "8", where blank padding read "8  "
                        Encoding.UTF8.GetBytes(c.Texts![i] ?? "", cell);
                        break;
                }
                at += widths[j];
            }
            _out.Write(row);
            written += rowBytes;
        }
        int pad = (int)((BlockSize - written % BlockSize) % BlockSize);
        if (pad > 0) _out.Write(new byte[pad]);
    }

    private static bool IsTableStructural(string key)
    {
        string k = key.ToUpperInvariant();
        return k is "XTENSION" or "TFIELDS" || k.StartsWith("TTYPE", StringComparison.Ordinal) || k.StartsWith("TFORM", StringComparison.Ordinal)
               || k.StartsWith("TUNIT", StringComparison.Ordinal) || k.StartsWith("TNULL", StringComparison.Ordinal);
    }
}

namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    // ---- T7D010–029: FITS and .npy I/O ----

    /// <summary>The file does not start with a FITS primary header (<c>SIMPLE  = T</c>).</summary>
    public const string FitsNotFits = "T7D010";
    /// <summary>A header runs to the end of the file without an <c>END</c> card.</summary>
    public const string FitsHeaderWithoutEnd = "T7D011";
    /// <summary>The data of an HDU is shorter than its header says.</summary>
    public const string FitsTruncated = "T7D012";
    /// <summary>BITPIX is not one of 8, 16, 32, 64, -32, -64.</summary>
    public const string FitsUnsupportedBitpix = "T7D013";
    /// <summary>An image was required but the HDU is not a 2-D image (NAXIS≠2, a table, empty).</summary>
    public const string FitsNotAnImage = "T7D014";
    /// <summary>The image is tile-compressed (ZIMAGE = T in a BINTABLE), which is not supported yet.</summary>
    public const string FitsTileCompressed = "T7D015";
    /// <summary>The requested HDU index is past the last HDU of the file.</summary>
    public const string FitsHduNotFound = "T7D016";
    /// <summary>A mandatory keyword (BITPIX, NAXISn, PCOUNT, GCOUNT) is missing or has a bad value.</summary>
    public const string FitsBadHeader = "T7D017";
    /// <summary>A gzip-compressed FITS file is corrupt.</summary>
    public const string FitsBadGzip = "T7D018";
    /// <summary>A .npy file is not a valid numpy array file of a supported kind.</summary>
    public const string NpyInvalid = "T7D020";
    /// <summary>A .npy file holds fewer bytes than its header says.</summary>
    public const string NpyTruncated = "T7D021";
}

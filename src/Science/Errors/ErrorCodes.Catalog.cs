namespace Tract7dt.Science.Errors;

// Catalog bucket: T7D080–099. Never reuse a retired code; comment it out instead.
public static partial class ErrorCodes
{
    /// <summary>A catalogue CSV (input catalogue or GaiaXP) does not exist.</summary>
    public const string CatalogNotFound = "T7D080";
    /// <summary>The input catalogue has no RA and/or DEC column.</summary>
    public const string CatalogMissingRaDec = "T7D081";
    /// <summary>A required numeric value (RA, DEC) is missing or not a number in some row.</summary>
    public const string CatalogBadValue = "T7D082";
    /// <summary>The CSV text is malformed (no header, a row with too many fields, an unclosed quote).</summary>
    public const string CatalogMalformed = "T7D083";
    /// <summary>The GaiaXP synphot CSV lacks a required column (ra, dec, source_id, phot_g_mean_mag).</summary>
    public const string GaiaMissingColumn = "T7D084";
    /// <summary>The image list file does not exist.</summary>
    public const string ImageListNotFound = "T7D085";
    /// <summary>The image list file holds no image path.</summary>
    public const string ImageListEmpty = "T7D086";
    /// <summary>The bands of the catalogue's FLUX_&lt;band&gt; columns differ from the images' FILTER values.</summary>
    public const string CatalogBandMismatch = "T7D087";
    /// <summary>A column asked for by name does not exist in a table, or would be duplicated.</summary>
    public const string CatalogColumn = "T7D088";
}

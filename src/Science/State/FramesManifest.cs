using System.Text.Json;
using System.Text.Json.Serialization;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.State;

/// <summary>One band's frame as LoadInputs validated it: header values, scale, content hash.</summary>
public sealed record FrameEntry
{
    /// <summary>FILTER, trimmed.</summary>
    [JsonPropertyName("band")] public required string Band { get; init; }

    /// <summary>Absolute path of the FITS file (primary HDU).</summary>
    [JsonPropertyName("path")] public required string Path { get; init; }

    /// <summary>XxHash128 of the file's bytes: the key of everything derived from this band.</summary>
    [JsonPropertyName("content_hash")] public required string ContentHash { get; init; }

    /// <summary>NAXIS1 of the file (full frame).</summary>
    [JsonPropertyName("width")] public required int Width { get; init; }

    /// <summary>NAXIS2 of the file (full frame).</summary>
    [JsonPropertyName("height")] public required int Height { get; init; }

    [JsonPropertyName("zp_auto")] public required double ZpAuto { get; init; }

    /// <summary>SKYSIG, ADU.</summary>
    [JsonPropertyName("skysig")] public required double SkySig { get; init; }

    /// <summary>EGAIN, e⁻/ADU.</summary>
    [JsonPropertyName("egain")] public required double EGain { get; init; }

    /// <summary>SATURATE in ADU; null when absent or invalid (no saturation mask).</summary>
    [JsonPropertyName("saturate")] public double? Saturate { get; init; }

    /// <summary>10^(−0.4 (ZP_AUTO − zp_ref)).</summary>
    [JsonPropertyName("scale")] public required double Scale { get; init; }

    /// <summary>PEEING (seeing FWHM in pixels) from the header, when present.</summary>
    [JsonPropertyName("peeing_pix")] public double? PeeingPix { get; init; }

    /// <summary>SEEING (seeing FWHM in arcsec) from the header, when present.</summary>
    [JsonPropertyName("seeing_arcsec")] public double? SeeingArcsec { get; init; }

    [JsonIgnore]
    public FrameCalibration Calibration => new(SkySig, EGain, Saturate ?? double.PositiveInfinity, Scale);
}

/// <summary>
/// <c>state/frames.json</c>: what LoadInputs hands to every later stage about the images —
/// the bands in image-list order, each band's calibration and content hash, and the crop
/// that defines the white frame. Later stages cut ePSF cells and patch windows straight
/// from the FITS files with it (see <see cref="FrameReader"/>), so no stage holds every
/// band's full image.
/// </summary>
public sealed record FramesManifest
{
    /// <summary><c>image_scaling.zp_ref</c>.</summary>
    [JsonPropertyName("zp_ref")] public required double ZpRef { get; init; }

    /// <summary>Full-frame size (of the first band).</summary>
    [JsonPropertyName("full_width")] public required int FullWidth { get; init; }

    [JsonPropertyName("full_height")] public required int FullHeight { get; init; }

    /// <summary>The white frame in full-frame pixels: the crop box, or the whole image when crop is off.</summary>
    [JsonPropertyName("crop_x0")] public required int CropX0 { get; init; }

    [JsonPropertyName("crop_x1")] public required int CropX1 { get; init; }

    [JsonPropertyName("crop_y0")] public required int CropY0 { get; init; }

    [JsonPropertyName("crop_y1")] public required int CropY1 { get; init; }

    /// <summary>Bands in image-list order (a repeated FILTER keeps its first position, last file's data).</summary>
    [JsonPropertyName("frames")] public required IReadOnlyList<FrameEntry> Frames { get; init; }

    [JsonIgnore] public PixelBox Crop => new(CropX0, CropX1, CropY0, CropY1);

    /// <summary>White-frame width (post-crop).</summary>
    [JsonIgnore] public int Width => CropX1 - CropX0;

    /// <summary>White-frame height (post-crop).</summary>
    [JsonIgnore] public int Height => CropY1 - CropY0;

    [JsonIgnore] public IEnumerable<string> Bands => Frames.Select(f => f.Band);

    public FrameEntry Frame(string band) =>
        Frames.FirstOrDefault(f => f.Band == band)
        ?? throw new Tract7dtException(ErrorCodes.MissingPrerequisite, $"Band '{band}' is not in the frames manifest.");

    /// <summary>WCS of a band in the white frame: the file's WCS shifted by the crop corner.
    /// Every world↔pixel conversion of the pipeline uses the first band's (docs/pipeline.md §2).</summary>
    public TanWcs WhiteWcs(string? band = null)
    {
        var f = band is null ? Frames[0] : Frame(band);
        var wcs = TanWcs.FromHeader(FitsFile.ReadPrimaryHeader(f.Path), f.Path);
        return wcs.Shift(CropX0, CropY0);
    }

    public void Write(string path) => IO.JsonFile.Write(path, this);

    /// <summary>Reads <c>frames.json</c>; a clear error when LoadInputs has not run.</summary>
    public static FramesManifest Read(string path)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
                $"Missing {path}: the LoadInputs stage has not run for this work_dir. Run 'tract7dt run' (or a step command that loads inputs) first.");
        return IO.JsonFile.Parse<FramesManifest>(File.ReadAllText(path))
            ?? throw new Tract7dtException(ErrorCodes.MissingPrerequisite, $"Unreadable frames manifest {path}; delete it and rerun LoadInputs.");
    }
}

using Tract7dt.Science.Fits;
using Tract7dt.Science.State;

namespace Tract7dt.Science.Imaging;

/// <summary>
/// Prepared pixels of a window of one band, in white-frame coordinates: reads the raw window
/// from the band's FITS file (only those rows) and applies <see cref="FramePixels.Prepare"/>.
/// The ePSF stage cuts cells and the payload stage cuts patch ROIs through this.
/// </summary>
public sealed class FrameWindow
{
    public FrameWindow(PixelBox box)
    {
        Box = box;
        int n = box.Width * box.Height;
        Raw = new float[n];
        Scaled = new float[n];
        SigmaSky = new float[n];
        SigmaTotal = new float[n];
        Bad = new byte[n];
    }

    /// <summary>The window in white-frame pixels.</summary>
    public PixelBox Box { get; }

    public int Width => Box.Width;

    public int Height => Box.Height;

    /// <summary>Raw ADU.</summary>
    public float[] Raw { get; }

    /// <summary>Flux in the zp_ref system (raw × scale).</summary>
    public float[] Scaled { get; }

    /// <summary>Sky-only σ, scaled; +∞ on bad pixels.</summary>
    public float[] SigmaSky { get; }

    /// <summary>Sky + source σ, scaled; +∞ on bad pixels.</summary>
    public float[] SigmaTotal { get; }

    /// <summary><see cref="FramePixels.BadNonFinite"/> | <see cref="FramePixels.BadSaturated"/>; 0 = good.</summary>
    public byte[] Bad { get; }

    /// <summary>Reads <paramref name="box"/> (white frame) of <paramref name="frame"/>.</summary>
    public static FrameWindow Read(FramesManifest manifest, FrameEntry frame, PixelBox box)
    {
        var w = new FrameWindow(box);
        using var f = FitsFile.Open(frame.Path);
        f.ReadWindow(0, box.X0 + manifest.CropX0, box.X1 + manifest.CropX0, box.Y0 + manifest.CropY0, box.Y1 + manifest.CropY0, w.Raw);
        FramePixels.Prepare(frame.Calibration, w.Raw, w.Scaled, w.SigmaSky, w.SigmaTotal, w.Bad);
        return w;
    }
}

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// One picture at a time is drawn and encoded per process. The picture stages run on several
/// workers, and the test suite runs several of them at once; a test host died of a segmentation
/// fault inside libSkiaSharp on a thread-pool thread (the kernel log named the library), with no
/// managed exception to show, and an earlier CI run's host had died the same silent way. Skia
/// objects are not safe to share between threads and the plotting library keeps shared ones of its
/// own (fonts, the default typeface), so every render and PNG encode of a figure takes this lock
/// (<see cref="PlotFiles.SavePng"/>, <see cref="PanelFigure.Save"/>, <see cref="PatchPanelGrid.Save"/>).
/// What a picture stage does before it (reading stamps, cutting images, computing the panels' data)
/// still runs in parallel.
/// </summary>
public static class SkiaGate
{
    /// <summary>Held for the whole of a figure's rendering and encoding.</summary>
    public static readonly object Lock = new();
}

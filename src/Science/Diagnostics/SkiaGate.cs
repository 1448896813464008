using System.Buffers;
using SkiaSharp;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// One figure at a time is drawn per process. The picture stages run on several workers, and the
/// test suite runs several of them at once; a test host died of a segmentation fault inside
/// libSkiaSharp on a thread-pool thread (the kernel log named the library), with no managed
/// exception to show, and an earlier CI run's host had died the same silent way. Skia objects are
/// not safe to share between threads and the plotting library keeps shared ones of its own (fonts,
/// the default typeface), so every figure is drawn under this gate.
/// <para>
/// Only the drawing is serialized. <see cref="SavePng"/> draws into a pixel buffer of our own and
/// encodes it with <see cref="IO.PngFile"/> after the gate is released: Skia's own PNG encoder,
/// which used to run under the lock, cost 3.6 times the drawing at 300 dpi. What a picture stage
/// does before it (reading stamps, cutting images, computing the panels' data) runs in parallel too.
/// </para>
/// </summary>
public static class SkiaGate
{
    /// <summary>Held for the whole of a figure's drawing. A semaphore, not a <c>lock</c>: a monitor spins
    /// before it blocks, and with two picture workers the one waiting for a figure to be drawn spun away a
    /// fifth of the stage's CPU (profile of EpsfDiagnostics at 300 dpi) that its PNG encode could have used.</summary>
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>
    /// Draws a <paramref name="width"/> × <paramref name="height"/> figure with
    /// <paramref name="draw"/> (one figure at a time, on a canvas cleared to white) and writes it
    /// to <paramref name="path"/> as a PNG, atomically.
    /// </summary>
    public static void SavePng(string path, int width, int height, Action<SKCanvas> draw)
    {
        int n = checked(width * height * 4);
        byte[] rgba = ArrayPool<byte>.Shared.Rent(n);
        try
        {
            Gate.Wait();
            try { DrawInto(rgba, width, height, draw); }
            finally { Gate.Release(); }
            IO.PngFile.Write(path, rgba.AsSpan(0, n), width, height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    private static unsafe void DrawInto(byte[] rgba, int width, int height, Action<SKCanvas> draw)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        fixed (byte* p = rgba)
        {
            // Skia draws straight into our buffer: no snapshot, no copy
            using var surface = SKSurface.Create(info, (IntPtr)p, width * 4)
                ?? throw new InvalidOperationException($"Skia could not make a {width}×{height} drawing surface");
            surface.Canvas.Clear(SKColors.White);
            draw(surface.Canvas);
            surface.Canvas.Flush();
        }
    }
}

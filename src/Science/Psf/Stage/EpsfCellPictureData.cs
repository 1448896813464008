using System.Text;
using Tract7dt.Science.Detection;
using Tract7dt.Science.Psf.Epsf;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// What the pictures of one ePSF cell draw, beyond the cell's pixels (which are read again
/// from the image): the background mesh, the selected stars with their catalogue IDs, every
/// star stamp, the per-star annulus records, the residual stacks and the written ePSF. The
/// ePSF stage saves it beside its numbers (<c>state/epsf_pictures/&lt;band&gt;/&lt;cell&gt;.bin</c>),
/// so the pictures are drawn by their own stage (docs/pipeline.md, EpsfDiagnostics): a picture
/// setting redraws pictures and rebuilds no ePSF, and the pictures never delay the catalogue.
/// </summary>
/// <remarks>A private little-endian binary format, versioned by <see cref="Magic"/>; the file is
/// written and read only by this class. The background is kept as its mesh (tens of values), from
/// which <see cref="Detection.Background.FromMesh"/> gives back the map the cell subtracted, bit
/// for bit; a full-resolution map would cost ~10 MB per cell and band on a full tile.</remarks>
public sealed class EpsfCellPictureData
{
    /// <summary>File magic and format version.</summary>
    public const string Magic = "T7EPIC01";

    public required string Band { get; init; }
    public required string Tag { get; init; }
    public required Imaging.PixelBox Box { get; init; }
    /// <summary>True when the cell's ePSF was written (status ok).</summary>
    public required bool IsOk { get; init; }
    public required int NStarsUsed { get; init; }
    public required int NStarsExtract { get; init; }
    /// <summary>True when the cell background was subtracted (<c>epsf.background_subtract_patch</c>).</summary>
    public required bool BackgroundSubtracted { get; init; }
    /// <summary>The subtracted background's mesh; null when none was subtracted or the estimate failed (map 0).</summary>
    public Background? Background { get; init; }
    public required IReadOnlyList<PsfStar> Stars { get; init; }
    /// <summary>Catalogue ID of each star of <see cref="Stars"/> (null where the catalogue has none within 1.5 px).</summary>
    public required IReadOnlyList<string?> StarCatalogueIds { get; init; }
    public required IReadOnlyList<EpsfStar> RawStamps { get; init; }
    public required IReadOnlyList<EpsfStar> Stamps { get; init; }
    public required IReadOnlyList<LocalBackgroundRecord> LocalRecords { get; init; }
    public required LocalBackgroundDiagRecord LocalDiag { get; init; }
    public required ResidualQa Residual { get; init; }
    /// <summary>The written ePSF (ok cells), else null.</summary>
    public EpsfProduct? Product { get; init; }

    /// <summary>The cell's data as the ePSF stage left it.</summary>
    public static EpsfCellPictureData From(EpsfCellResult r) => new()
    {
        Band = r.Input.Band, Tag = r.Input.Tag, Box = r.Input.Box, IsOk = r.IsOk && r.Product is not null,
        NStarsUsed = r.NStarsUsed, NStarsExtract = r.NStarsExtract,
        BackgroundSubtracted = r.BackgroundSubtracted, Background = r.BackgroundModel,
        Stars = r.Stars,
        StarCatalogueIds = Enumerable.Range(0, r.Stars.Count)
            .Select(i => r.CatalogueIdOf(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList(),
        RawStamps = r.RawStamps, Stamps = r.Stamps, LocalRecords = r.LocalRecords, LocalDiag = r.LocalDiag,
        Residual = r.Residual, Product = r.IsOk ? r.Product : null,
    };

    /// <summary>Origin of a stamp's star (stamp ids are the star's index in <see cref="Stars"/>).</summary>
    public StarOrigin? OriginOf(string id) => Index(id) is int i ? Stars[i].Origin : null;

    /// <summary>Catalogue ID of a stamp's star, or null.</summary>
    public string? CatalogueIdOf(string id) => Index(id) is int i ? StarCatalogueIds[i] : null;

    private int? Index(string id) =>
        int.TryParse(id, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int i)
        && i >= 0 && i < Stars.Count ? i : null;

    /// <summary>The background map over the cell (zeros when none was estimated).</summary>
    public float[] BackgroundMap()
    {
        var map = new float[Box.Width * Box.Height];
        Background?.Back(map);
        return map;
    }

    /// <summary>Writes the file atomically.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        IO.AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(Band); w.Write(Tag);
            w.Write(Box.X0); w.Write(Box.X1); w.Write(Box.Y0); w.Write(Box.Y1);
            w.Write(IsOk); w.Write(NStarsUsed); w.Write(NStarsExtract); w.Write(BackgroundSubtracted);
            w.Write(Background is not null);
            if (Background is { } b)
            {
                w.Write(b.MeshWidth); w.Write(b.MeshHeight);
                Floats(w, b.MeshBack); Floats(w, b.MeshRms);
            }
            w.Write(Stars.Count);
            for (int i = 0; i < Stars.Count; i++)
            {
                var s = Stars[i];
                w.Write(s.X); w.Write(s.Y); w.Write(s.Id); w.Write((byte)s.Origin);
                OptionalString(w, StarCatalogueIds[i]);
            }
            StampList(w, Stamps);
            bool rawIsStamps = ReferenceEquals(RawStamps, Stamps);
            w.Write(rawIsStamps);
            if (!rawIsStamps) StampList(w, RawStamps);
            w.Write(LocalRecords.Count);
            foreach (var r in LocalRecords)
            {
                w.Write(r.Id); w.Write(r.Background); w.Write(r.AnnulusPixels);
                w.Write(r.InnerRadius); w.Write(r.OuterRadius); w.Write(r.Status);
            }
            w.Write(LocalDiag.Attempted); w.Write(LocalDiag.NStars);
            OptionalString(w, LocalDiag.Status); OptionalString(w, LocalDiag.Message);
            var q = Residual;
            w.Write(q.NStars); w.Write(q.Bias); w.Write(q.Rms); w.Write(q.NormBias); w.Write(q.NormRms);
            OptionalFloats(w, q.MedianData); OptionalFloats(w, q.MedianModel);
            OptionalFloats(w, q.MedianResidual); OptionalFloats(w, q.NormResiduals);
            w.Write(Product is not null);
            if (Product is { } p)
            {
                w.Write(p.Size); w.Write(p.Oversampling); w.Write(p.FwhmPix);
                Floats(w, p.Data);
            }
        });
    }

    /// <summary>Reads a file written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">Not such a file, or of another version (rebuild the ePSF).</exception>
    public static EpsfCellPictureData Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        string magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
        if (magic != Magic)
            throw new InvalidDataException($"{path}: not an ePSF picture file of this version ({magic}); rebuild the ePSF (tract7dt run-epsf).");
        string band = r.ReadString(), tag = r.ReadString();
        var box = new Imaging.PixelBox(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        bool ok = r.ReadBoolean();
        int used = r.ReadInt32(), extract = r.ReadInt32();
        bool subtracted = r.ReadBoolean();
        Background? background = null;
        if (r.ReadBoolean())
        {
            int bw = r.ReadInt32(), bh = r.ReadInt32();
            var back = ReadFloats(r);
            var rms = ReadFloats(r);
            background = Background.FromMesh(box.Width, box.Height, bw, bh, back, rms);
        }
        int nStars = r.ReadInt32();
        var stars = new List<PsfStar>(nStars);
        var ids = new List<string?>(nStars);
        for (int i = 0; i < nStars; i++)
        {
            stars.Add(new PsfStar(r.ReadSingle(), r.ReadSingle(), r.ReadInt32(), (StarOrigin)r.ReadByte()));
            ids.Add(ReadOptionalString(r));
        }
        var stamps = ReadStampList(r);
        var raw = r.ReadBoolean() ? stamps : ReadStampList(r);
        int nRec = r.ReadInt32();
        var records = new List<LocalBackgroundRecord>(nRec);
        for (int i = 0; i < nRec; i++)
            records.Add(new LocalBackgroundRecord(r.ReadString(), r.ReadDouble(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadString()));
        var diag = new LocalBackgroundDiagRecord(r.ReadBoolean(), r.ReadInt32(), ReadOptionalString(r), ReadOptionalString(r));
        var residual = new ResidualQa(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(),
            ReadOptionalFloats(r), ReadOptionalFloats(r), ReadOptionalFloats(r), ReadOptionalFloats(r));
        EpsfProduct? product = null;
        if (r.ReadBoolean())
        {
            int size = r.ReadInt32(), over = r.ReadInt32();
            double fwhm = r.ReadDouble();
            var data = ReadFloats(r);
            var (radii, fraction, qa) = EpsfPostProcess.Growth(data, size);
            product = new EpsfProduct(data, size, over, qa, radii, fraction, fwhm);
        }
        return new EpsfCellPictureData
        {
            Band = band, Tag = tag, Box = box, IsOk = ok, NStarsUsed = used, NStarsExtract = extract,
            BackgroundSubtracted = subtracted, Background = background, Stars = stars, StarCatalogueIds = ids,
            RawStamps = raw, Stamps = stamps, LocalRecords = records, LocalDiag = diag, Residual = residual, Product = product,
        };
    }

    private static void StampList(BinaryWriter w, IReadOnlyList<EpsfStar> stamps)
    {
        w.Write(stamps.Count);
        foreach (var s in stamps)
        {
            w.Write(s.Id); w.Write(s.Size); w.Write(s.OriginX); w.Write(s.OriginY); w.Write(s.CenterX); w.Write(s.CenterY);
            Floats(w, s.Data);
            w.Write(s.Weights.Length);
            foreach (double x in s.Weights) w.Write(x);
        }
    }

    private static List<EpsfStar> ReadStampList(BinaryReader r)
    {
        int n = r.ReadInt32();
        var list = new List<EpsfStar>(n);
        for (int i = 0; i < n; i++)
        {
            string id = r.ReadString();
            int size = r.ReadInt32(), ox = r.ReadInt32(), oy = r.ReadInt32();
            double cx = r.ReadDouble(), cy = r.ReadDouble();
            var data = ReadFloats(r);
            var weights = new double[r.ReadInt32()];
            for (int k = 0; k < weights.Length; k++) weights[k] = r.ReadDouble();
            list.Add(new EpsfStar(id, size, data, weights, ox, oy, cx, cy));
        }
        return list;
    }

    private static void Floats(BinaryWriter w, ReadOnlySpan<float> v)
    {
        w.Write(v.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v));
    }

    private static float[] ReadFloats(BinaryReader r)
    {
        var v = new float[r.ReadInt32()];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan());
        if (r.Read(bytes) != bytes.Length) throw new EndOfStreamException("ePSF picture file cut short");
        return v;
    }

    private static void OptionalFloats(BinaryWriter w, float[]? v)
    {
        w.Write(v is not null);
        if (v is not null) Floats(w, v);
    }

    private static float[]? ReadOptionalFloats(BinaryReader r) => r.ReadBoolean() ? ReadFloats(r) : null;

    private static void OptionalString(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null) w.Write(s);
    }

    private static string? ReadOptionalString(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;
}

using System.Text;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Xunit;

namespace Tract7dt.Tests.Fits;

public class NpyTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "t7d-npy-" + Guid.NewGuid().ToString("N"));

    public NpyTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Header_is_numpy_v1_with_64_byte_aligned_data()
    {
        string p = Path.Combine(_dir, "a.npy");
        Npy.Write(p, new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = File.ReadAllBytes(p);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, b[..8]);
        int len = b[8] | b[9] << 8;
        Assert.Equal(0, (10 + len) % 64);
        string h = Encoding.ASCII.GetString(b, 10, len);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", h);
        Assert.EndsWith("\n", h);
        Assert.Equal(10 + len + 24, b.Length);
        Assert.Equal(BitConverter.GetBytes(1f), b[(10 + len)..(14 + len)]); // little-endian
    }

    [Fact]
    public void Round_trips_float_and_double_exactly()
    {
        var rng = new Random(5);
        for (int rows = 0; rows <= 3; rows++)
            for (int cols = 0; cols <= 4; cols++)
            {
                var f = Enumerable.Range(0, rows * cols).Select(_ => (float)rng.NextDouble()).ToArray();
                var d = f.Select(x => x / 3.0).ToArray();
                string pf = Path.Combine(_dir, $"f{rows}{cols}.npy"), pd = Path.Combine(_dir, $"d{rows}{cols}.npy");
                Npy.Write(pf, f, rows, cols);
                Npy.Write(pd, d, rows, cols);
                var rf = Npy.ReadFloat(pf);
                var rd = Npy.ReadDouble(pd);
                Assert.Equal((rows, cols), (rf.Rows, rf.Cols));
                Assert.Equal(f, rf.Data);
                Assert.Equal(d, rd.Data);
                Assert.Equal(f.Select(x => (double)x), Npy.ReadDouble(pf).Data);
                Assert.Equal(d.Select(x => (float)x), Npy.ReadFloat(pd).Data);
            }
    }

    [Fact]
    public void Reads_big_endian_and_1d_arrays_as_numpy_writes_them()
    {
        // np.array([1.5, -2.0], dtype='>f8') saved with np.save.
        string header = "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }";
        header = header.PadRight(118) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(new byte[] { 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0 });
        string p = Path.Combine(_dir, "be.npy");
        File.WriteAllBytes(p, bytes.ToArray());
        var a = Npy.ReadDouble(p);
        Assert.Equal((1, 2), (a.Rows, a.Cols));
        Assert.Equal(new[] { 1.5, -2.0 }, a.Data);
    }

    [Theory]
    [InlineData("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", ErrorCodes.NpyInvalid, "dtype")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", ErrorCodes.NpyInvalid, "Fortran")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", ErrorCodes.NpyInvalid, "shape")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (200, 2), }", ErrorCodes.NpyTruncated, "truncated")]
    public void Bad_files_give_a_clear_error(string dict, string code, string word)
    {
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(dict.Length + 1), 0 };
        bytes.AddRange(Encoding.ASCII.GetBytes(dict + "\n"));
        bytes.AddRange(new byte[16]);
        string p = Path.Combine(_dir, "bad.npy");
        File.WriteAllBytes(p, bytes.ToArray());
        var e = Assert.Throws<Tract7dtException>(() => Npy.ReadFloat(p));
        Assert.Equal(code, e.Code);
        Assert.Contains(word, e.Message);
        Assert.Contains("bad.npy", e.Message);

        File.WriteAllText(p, "not numpy at all");
        Assert.Equal(ErrorCodes.NpyInvalid, Assert.Throws<Tract7dtException>(() => Npy.ReadDouble(p)).Code);
    }
}

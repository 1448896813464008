using System.Text;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Simulation;
using Tract7dt.Science.Wcs;
using Xunit;

namespace Tract7dt.Tests.Cli;

/// <summary>
/// Seeded fuzzing of what a user hands us: the YAML config, the input and GaiaXP catalogues and
/// the FITS headers, a few hundred damaged variants of each. Every variant must give a result
/// or one coded error (<see cref="Tract7dtException"/>), never any other exception. The seeds are
/// fixed, so a failure names a variant that can be replayed.
/// </summary>
public sealed class BadInputFuzzTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-fuzz");
    private readonly string _sim;

    public BadInputFuzzTests()
    {
        _sim = Path.Combine(_dir.FullName, "sim");
        Simulator.Run(new SimulationOptions(_sim, SimulationPreset.Tiny, Width: 120, Height: 100, Sources: 8));
    }

    public void Dispose() => _dir.Delete(true);

    private const string Junk = "[]{}:,'\"#-&*!|>%@` \t\n\\x0eé\u0000";

    /// <summary>One random edit: a character removed, inserted or replaced, a line removed,
    /// repeated or cut short, or the text truncated.</summary>
    private static string Mutate(string text, Random rng)
    {
        var lines = text.Split('\n').ToList();
        switch (rng.Next(7))
        {
            case 0 when text.Length > 0:
                return text.Remove(rng.Next(text.Length), 1);
            case 1:
                return text.Insert(rng.Next(text.Length + 1), Junk[rng.Next(Junk.Length)].ToString());
            case 2 when text.Length > 0:
            {
                var sb = new StringBuilder(text);
                sb[rng.Next(text.Length)] = Junk[rng.Next(Junk.Length)];
                return sb.ToString();
            }
            case 3 when lines.Count > 1:
                lines.RemoveAt(rng.Next(lines.Count));
                return string.Join('\n', lines);
            case 4:
            {
                int i = rng.Next(lines.Count);
                lines.Insert(i, lines[i]);
                return string.Join('\n', lines);
            }
            case 5:
            {
                int i = rng.Next(lines.Count);
                lines[i] = lines[i][..rng.Next(lines[i].Length + 1)];
                return string.Join('\n', lines);
            }
            default:
                return text[..rng.Next(text.Length + 1)];
        }
    }

    private int _coded, _fine;

    /// <param name="culprit">The file every error must name.</param>
    private void CodedOrFine(Action act, string what, string culprit)
    {
        try { act(); _fine++; }
        catch (Tract7dtException e)
        {
            _coded++;
            Assert.True(e.Message.Contains(Path.GetFileName(culprit), StringComparison.Ordinal),
                $"{what}: {e.Code} does not name {Path.GetFileName(culprit)}: {e.Message}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The variants reached both outcomes: a fuzz whose every variant loads (or fails) tests little.</summary>
    private void BothOutcomes(string what)
    {
        Assert.True(_coded >= 20, $"{what}: only {_coded} variants gave a coded error ({_fine} loaded)");
        Assert.True(_fine >= 20, $"{what}: only {_fine} variants loaded ({_coded} coded errors)");
    }

    [Fact]
    public void Damaged_configs_load_or_give_one_coded_error()
    {
        string config = File.ReadAllText(Path.Combine(_sim, "config.yaml"));
        string template = ConfigTemplate.Text;
        for (int seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed);
            string text = seed % 2 == 0 ? config : template;
            for (int k = 1 + rng.Next(3); k > 0; k--) text = Mutate(text, rng);
            string path = Path.Combine(_sim, $"fuzz_{seed}.yaml");
            File.WriteAllText(path, text);
            CodedOrFine(() => ConfigLoader.Load(path), $"config variant {seed}", path);
        }
        BothOutcomes("configs");
    }

    [Fact]
    public void Damaged_catalogues_read_or_give_one_coded_error()
    {
        foreach (var (file, read) in new (string, Action<string>)[]
                 {
                     ("input_catalog.csv", p => InputCatalog.Read(p, new List<string>())),
                     ("gaiaxp_synphot.csv", p => GaiaXpCatalog.Read(p)),
                 })
        {
            string csv = File.ReadAllText(Path.Combine(_sim, file));
            for (int seed = 0; seed < 200; seed++)
            {
                var rng = new Random(1000 + seed);
                string text = csv;
                for (int k = 1 + rng.Next(3); k > 0; k--) text = Mutate(text, rng);
                string path = Path.Combine(_sim, $"fuzz_{seed}_{file}");
                File.WriteAllText(path, text);
                CodedOrFine(() => read(path), $"{file} variant {seed}", path);
            }
        }
        BothOutcomes("catalogues");
    }

    [Fact]
    public void Damaged_FITS_headers_read_or_give_one_coded_error()
    {
        string image = Directory.GetFiles(Path.Combine(_sim, "images"), "*.fits").Order(StringComparer.Ordinal).First();
        byte[] original = File.ReadAllBytes(image);
        int headerEnd = 0;
        for (int off = 0; off + 80 <= original.Length; off += 80)
            if (Encoding.ASCII.GetString(original, off, 80).TrimEnd() == "END") { headerEnd = off + 80; break; }
        Assert.True(headerEnd > 0);
        string[] values = ["", "'", "''", "NaN", "-1", "0", "1E999", "3000000000", "T", "'abc", "1.5.2", "-32", "999999999999999999999", "'TAN'"];
        for (int seed = 0; seed < 300; seed++)
        {
            var rng = new Random(2000 + seed);
            byte[] bytes = (byte[])original.Clone();
            for (int k = 1 + rng.Next(3); k > 0; k--)
            {
                int card = rng.Next(headerEnd / 80) * 80;
                switch (rng.Next(4))
                {
                    case 0: // a value replaced
                    {
                        string key = Encoding.ASCII.GetString(bytes, card, 8);
                        string v = values[rng.Next(values.Length)];
                        Encoding.ASCII.GetBytes($"{key}= {v,20}".PadRight(80)[..80]).CopyTo(bytes, card);
                        break;
                    }
                    case 1: // a card blanked (END included)
                        bytes.AsSpan(card, 80).Fill((byte)' ');
                        break;
                    case 2: // one byte of the card changed
                        bytes[card + rng.Next(80)] = (byte)rng.Next(256);
                        break;
                    default: // the file cut
                        bytes = bytes[..rng.Next(bytes.Length)];
                        break;
                }
                if (bytes.Length < headerEnd) break;
            }
            string path = Path.Combine(_sim, $"fuzz_{seed}.fits");
            File.WriteAllBytes(path, bytes);
            CodedOrFine(() =>
            {
                using (var f = FitsFile.Open(path))
                {
                    var hdu = f.GetImageHdu(0);
                    FrameHeader.Validate(hdu.Header, path);
                    TanWcs.FromHeader(hdu.Header, path);
                }
                FitsImage.ReadFloat(path);
            }, $"FITS variant {seed}", path);
        }
        BothOutcomes("FITS headers");
    }
}

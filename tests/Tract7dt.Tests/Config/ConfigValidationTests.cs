using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Xunit;

namespace Tract7dt.Tests.Config;

public class ConfigValidationTests
{
    private static Tract7dtException LoadFails(string yaml)
    {
        using var d = new TempConfigDir();
        return Assert.Throws<Tract7dtException>(() => d.Load(yaml));
    }

    [Fact]
    public void UnknownKeyIsAWarningWithTheNearestKnownKey()
    {
        using var d = new TempConfigDir();
        var (cfg, warnings) = d.Load("patch_run:\n  n_opt_iter: 50\n");
        string w = Assert.Single(warnings);
        Assert.StartsWith("Unknown config key 'patch_run.n_opt_iter' (ignored); did you mean 'patch_run.n_opt_iters'?", w);
        Assert.Contains("line 2", w);
        Assert.Equal(20, cfg.PatchRun.NOptIters);   // ignored, default kept
    }

    [Fact]
    public void A_repeated_key_or_section_is_a_warning_and_the_last_one_wins_as_in_pyyaml()
    {
        using var d = new TempConfigDir();
        var (cfg, warnings) = d.Load("patch_run:\n  n_opt_iters: 30\n  n_opt_iters: 40\nzp:\n  clip_sigma: 2.5\nzp:\n  enabled: false\n");
        Assert.Equal(40, cfg.PatchRun.NOptIters);
        Assert.Equal(3.0, cfg.Zp.ClipSigma);        // the earlier zp block is dropped, as PyYAML drops it
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.StartsWith("Config section 'zp' appears twice (lines 4 and 6", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Config key 'patch_run.n_opt_iters' appears twice (lines 2 and 3", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownKeysInOtherPlaces()
    {
        using var d = new TempConfigDir();
        var (_, warnings) = d.Load("crop:\n  dpi: 3\nbogus_section:\n  a: 1\nconfig_path: /x\nzzqqxx: 1\n");
        Assert.Equal(4, warnings.Count);
        Assert.Contains("'crop.dpi' (ignored); did you mean 'plotting.dpi'?", warnings[0]);       // right name, wrong section
        Assert.StartsWith("Unknown config key 'bogus_section' (ignored)", warnings[1]);
        Assert.StartsWith("Unknown config key 'config_path' (ignored)", warnings[2]);             // internal entries cannot be set
        Assert.DoesNotContain("did you mean", warnings[3]);                                       // nothing close
    }

    [Fact]
    public void DeepMergeChangesOnlyTheGivenKey()
    {
        using var d = new TempConfigDir();
        var (cfg, w) = d.Load("patch_run: {n_opt_iters: 50}\n");
        Assert.Empty(w);
        var (def, _) = ConfigLoader.LoadText("", cfg.ConfigPath);
        var diff = PipelineConfig.AllKeys.Where(k => cfg.Canonical(k) != def.Canonical(k)).ToList();
        Assert.Equal(["patch_run.n_opt_iters"], diff);
        Assert.Equal(50, cfg.PatchRun.NOptIters);
    }

    [Fact]
    public void ListsAreReplacedNotMerged()
    {
        using var d = new TempConfigDir();
        var (cfg, _) = d.Load("epsf:\n  q_range: [0.9, 1.1, 7]\n");
        Assert.Equal([0.9, 1.1, 7.0], cfg.Epsf.QRange);
    }

    [Theory]
    [InlineData("crop:\n  enabled: yes\n", true)]
    [InlineData("crop:\n  enabled: Off\n", false)]
    [InlineData("crop:\n  enabled: ON\n", true)]
    [InlineData("crop:\n  enabled: NO\n", false)]
    public void Yaml11Booleans(string yaml, bool expected)
    {
        using var d = new TempConfigDir();
        Assert.Equal(expected, d.Load(yaml).Config.Crop.Enabled);
    }

    [Theory]
    [InlineData("0x1F", 31L)]
    [InlineData("0b101", 5L)]
    [InlineData("010", 8L)]
    [InlineData("1_000", 1000L)]
    [InlineData("+500", 500L)]
    [InlineData("1:20", 80L)]
    [InlineData("-7", -7L)]
    public void Yaml11Integers(string text, long expected) => Assert.Equal(expected, Yaml11Scalar.Resolve(text));

    [Theory]
    [InlineData("1.0e-6", 1e-6)]
    [InlineData("1.0e+6", 1e6)]
    [InlineData("5.", 5.0)]
    [InlineData(".5", 0.5)]
    [InlineData("-.inf", double.NegativeInfinity)]
    [InlineData(".NaN", double.NaN)]
    [InlineData("1:30.5", 90.5)]
    public void Yaml11Floats(string text, double expected) => Assert.Equal(expected, Yaml11Scalar.Resolve(text));

    [Theory]
    [InlineData("1e-6")]
    [InlineData("1E-6")]
    [InlineData("1.0e6")]
    [InlineData("08")]
    [InlineData("0o17")]
    [InlineData("tRUE")]
    [InlineData("y")]
    [InlineData("n")]
    public void Yaml11Strings(string text) => Assert.Equal(text, Yaml11Scalar.Resolve(text));

    [Theory]
    [InlineData("~")]
    [InlineData("null")]
    [InlineData("NULL")]
    [InlineData("")]
    public void Yaml11Nulls(string text) => Assert.Null(Yaml11Scalar.Resolve(text));

    [Fact]
    public void ExponentWithoutDotIsAStringAndTheErrorSaysHowToWriteIt()
    {
        var e = LoadFails("patch_run:\n  dlnp_stop: 1e-6\n");
        Assert.Equal(ErrorCodes.ConfigWrongType, e.Code);
        Assert.Contains("'patch_run.dlnp_stop'", e.Message);
        Assert.Contains("the string \"1e-6\"", e.Message);
        Assert.Contains("1.0e-6", e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Theory]
    [InlineData("patch_run:\n  n_opt_iters: \"500\"\n", "'patch_run.n_opt_iters'", "an integer")]
    [InlineData("patch_run:\n  n_opt_iters: 500.0\n", "'patch_run.n_opt_iters'", "the float 500.0")]
    [InlineData("patch_run:\n  n_opt_iters: true\n", "'patch_run.n_opt_iters'", "the boolean true")]
    [InlineData("logging:\n  level: 10\n", "'logging.level'", "a string")]
    [InlineData("crop:\n  enabled: 1\n", "'crop.enabled'", "a boolean")]
    [InlineData("crop:\n  margin:\n", "'crop.margin'", "null")]
    [InlineData("epsf:\n  q_range: 0.7\n", "'epsf.q_range'", "a list")]
    [InlineData("epsf:\n  q_range: [0.7]\n", "'epsf.q_range'", "two numbers")]
    [InlineData("epsf:\n  max_workers: 2.5\n", "'epsf.max_workers'", "one of: int, str")]
    [InlineData("patch_run:\n  cutout_max_sources: \"10\"\n", "'patch_run.cutout_max_sources'", "one of: int, null")]
    [InlineData("merge:\n  wcs_fits: 3\n", "'merge.wcs_fits'", "one of: str, null")]
    [InlineData("logging:\n  file: [a]\n", "'logging.file'", "one of: str, null")]
    [InlineData("crop: 5\n", "'crop'", "must be a mapping")]
    [InlineData("checks:\n  wcs_tolerance: 1.0\n", "'checks.wcs_tolerance'", "must be a mapping")]
    [InlineData("patch_run:\n  cutout_data_p_lo: 0.5\n", "'patch_run.cutout_data_p_lo'", "an integer")]
    [InlineData("cluster:\n  extra_sbatch_args: [--qos, 3]\n", "'cluster.extra_sbatch_args'", "list of strings")]
    [InlineData("image_scaling:\n  zp_ref: \"25\"\n", "'image_scaling.zp_ref'", "Remove the quotes")]
    public void WrongTypeIsOneErrorNamingKeyAndValue(string yaml, string key, string fragment)
    {
        var e = LoadFails(yaml);
        Assert.Equal(ErrorCodes.ConfigWrongType, e.Code);
        Assert.Contains(key, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Theory]
    [InlineData("patch_run:\n  gal_model: gal\n", "'patch_run.gal_model'", "dev, exp, sersic, star")]
    [InlineData("patch_run:\n  gal_model: EXP\n", "'patch_run.gal_model'", "dev, exp, sersic, star")]
    [InlineData("patch_run:\n  psf_model: gaussian\n", "'patch_run.psf_model'", "pixelized, hybrid, gaussian_mixture_from_stamp")]
    [InlineData("patch_run:\n  psf_fallback_model: Moffat\n", "'patch_run.psf_fallback_model'", "moffat, ncircular_gaussian, gaussian_mixture")]
    [InlineData("patch_run:\n  ncircular_gaussian_n: 4\n", "'patch_run.ncircular_gaussian_n'", "1, 2, 3")]
    [InlineData("logging:\n  level: verbose\n", "'logging.level'", "DEBUG, INFO")]
    [InlineData("logging:\n  format: \"%(time)s %(message)s\"\n", "'logging.format'", "%(time)s")]
    [InlineData("performance:\n  frame_prep_workers: many\n", "'performance.frame_prep_workers'", "'auto' or an integer")]
    [InlineData("cluster:\n  executor: pbs\n", "'cluster.executor'", "local, slurm")]
    [InlineData("cluster:\n  time_limit: half an hour\n", "'cluster.time_limit'", "HH:MM:SS")]
    [InlineData("cluster:\n  mem_per_task: 4GB\n", "'cluster.mem_per_task'", "4000M")]
    public void InvalidChoiceIsRejectedAtLoadWithTheAllowedValues(string yaml, string key, string allowed)
    {
        var e = LoadFails(yaml);
        Assert.Equal(ErrorCodes.ConfigInvalidChoice, e.Code);
        Assert.Contains(key, e.Message);
        Assert.Contains(allowed, e.Message);
    }

    [Theory]
    [InlineData("moffat_psf:\n  beta: 1.0\n", "'moffat_psf.beta'", "> 1")]
    [InlineData("moffat_psf:\n  radius_pix: 0.5\n", "'moffat_psf.radius_pix'", ">= 1")]
    [InlineData("patch_inputs:\n  gzip_compresslevel: 10\n", "'patch_inputs.gzip_compresslevel'", "between -1 and 9")]
    [InlineData("patch_inputs:\n  gzip_compresslevel: -2\n", "'patch_inputs.gzip_compresslevel'", "between -1 and 9")]
    [InlineData("patch_run:\n  max_workers: 0\n", "'patch_run.max_workers'", ">= 1")]
    [InlineData("patch_run:\n  n_opt_iters: 0\n", "'patch_run.n_opt_iters'", ">= 1")]
    [InlineData("patch_run:\n  dlnp_stop: 0.0\n", "'patch_run.dlnp_stop'", "> 0")]
    [InlineData("patch_run:\n  cutout_data_p_hi: 101\n", "'patch_run.cutout_data_p_hi'", "between 0 and 100")]
    [InlineData("patch_run:\n  cutout_max_sources: -1\n", "'patch_run.cutout_max_sources'", ">= 0")]
    [InlineData("crop:\n  margin: -5\n", "'crop.margin'", ">= 0")]
    [InlineData("crop:\n  overlay_downsample_full: 0\n", "'crop.overlay_downsample_full'", ">= 1")]
    [InlineData("epsf:\n  max_workers: 0\n", "'epsf.max_workers'", ">= 1")]
    [InlineData("performance:\n  frame_prep_workers: -2\n", "'performance.frame_prep_workers'", ">= 1")]
    [InlineData("performance:\n  white_stack_workers: 0\n", "'performance.white_stack_workers'", ">= 1")]
    [InlineData("patch_inputs:\n  max_workers: -1\n", "'patch_inputs.max_workers'", ">= 0")]
    [InlineData("epsf:\n  q_range: [1.3, 0.7]\n", "'epsf.q_range'", "lo <= hi")]
    [InlineData("epsf:\n  recenter_boxsize: 8\n", "'epsf.recenter_boxsize'", "odd")]
    [InlineData("epsf:\n  gaia_mag_max: 5.0\n", "'epsf.gaia_mag_max'", ">= 'epsf.gaia_mag_min'")]
    [InlineData("zp:\n  clip_sigma: -3.0\n", "'zp.clip_sigma'", "> 0")]
    [InlineData("image_scaling:\n  zp_ref: .nan\n", "'image_scaling.zp_ref'", "finite")]
    [InlineData("source_saturation_cut:\n  radius_pix: -.inf\n", "'source_saturation_cut.radius_pix'", "finite")]
    [InlineData("logging:\n  file: \"\"\n", "'logging.file'", "must not be empty")]
    [InlineData("inputs:\n  input_catalog: \" \"\n", "'inputs.input_catalog'", "must not be empty")]
    [InlineData("cluster:\n  cpus_per_task: 0\n", "'cluster.cpus_per_task'", ">= 1")]
    [InlineData("cluster:\n  poll_interval_sec: 0\n", "'cluster.poll_interval_sec'", "> 0")]
    public void OutOfRangeIsRejectedAtLoad(string yaml, string key, string rule)
    {
        var e = LoadFails(yaml);
        Assert.Equal(ErrorCodes.ConfigOutOfRange, e.Code);
        Assert.Contains(key, e.Message);
        Assert.Contains(rule, e.Message);
    }

    [Fact]
    public void EpsfMaxWorkersZeroIsFineWhenBandsRunSerially()
    {
        using var d = new TempConfigDir();
        var (cfg, _) = d.Load("epsf:\n  parallel_bands: false\n  max_workers: 0\n");
        Assert.Equal(0, cfg.Epsf.MaxWorkers.Explicit);
    }

    [Fact]
    public void InvalidPsfStarModeWarnsAndUsesSepPlusGaia()
    {
        using var d = new TempConfigDir();
        var (cfg, w) = d.Load("epsf:\n  psfstar_mode: sextractor\n");
        Assert.Equal(PsfStarMode.SepPlusGaia, cfg.Epsf.PsfstarMode);
        Assert.Contains("'epsf.psfstar_mode'", Assert.Single(w));
        var (cfg2, w2) = d.Load("epsf:\n  psfstar_mode: \" GAIA \"\n");   // trimmed, case-insensitive
        Assert.Empty(w2);
        Assert.Equal(PsfStarMode.Gaia, cfg2.Epsf.PsfstarMode);
    }

    [Fact]
    public void LogLevelIsCaseInsensitiveAndNormalised()
    {
        using var d = new TempConfigDir();
        Assert.Equal("WARNING", d.Load("logging: {level: warn}\n").Config.Logging.Level);
        Assert.Equal("DEBUG", d.Load("logging: {level: Debug}\n").Config.Logging.Level);
    }

    [Fact]
    public void YamlSyntaxErrorNamesFileLineAndColumn()
    {
        using var d = new TempConfigDir();
        string p = d.Write("crop:\n  enabled: true\n margin: 3\n");
        var e = Assert.Throws<Tract7dtException>(() => ConfigLoader.Load(p));
        Assert.Equal(ErrorCodes.ConfigYamlSyntax, e.Code);
        Assert.Contains(p, e.Message);
        Assert.Matches(@"line 3, column \d+", e.Message);

        var e2 = Assert.Throws<Tract7dtException>(() => d.Load("patch_run:\n  gal_model: \"exp\n"));
        Assert.Equal(ErrorCodes.ConfigYamlSyntax, e2.Code);
        Assert.Matches(@"line \d+, column \d+", e2.Message);
    }

    [Theory]
    [InlineData("inputs:\n  tile_name: [abc\n  image_list_file: x.txt\npatch_run:\n  n_opt_iters: 3\n", 2)]
    [InlineData("inputs:\n  tile_name: x\npatch_run:\n  gal_model: {exp\n  n_opt_iters: 3\n", 4)]
    public void AnUnclosedBracketIsASyntaxErrorNamingItsLine(string yaml, int line)
    {
        // YamlDotNet's scanner throws InvalidOperationException without a position here
        using var d = new TempConfigDir();
        string p = d.Write(yaml);
        var e = Assert.Throws<Tract7dtException>(() => ConfigLoader.Load(p));
        Assert.Equal(ErrorCodes.ConfigYamlSyntax, e.Code);
        Assert.Contains(p, e.Message);
        Assert.Contains($"at line {line}:", e.Message);
        Assert.Contains("never closed", e.Message);
    }

    [Fact]
    public void RootMustBeAMapping()
    {
        var e = LoadFails("- a\n- b\n");
        Assert.Equal(ErrorCodes.ConfigRootNotMapping, e.Code);
        Assert.Contains("a list", e.Message);
    }

    [Fact]
    public void EmptyOrFalseDocumentMeansAllDefaults()
    {
        using var d = new TempConfigDir();
        Assert.Empty(d.Load("# only a comment\n").Warnings);
        Assert.Empty(d.Load("false\n").Warnings);
        Assert.Empty(d.Load("~\n").Warnings);
    }

    [Fact]
    public void NullSectionWarnsAndKeepsDefaults()
    {
        using var d = new TempConfigDir();
        var (cfg, w) = d.Load("crop:\n#  enabled: false\n");
        Assert.Contains("'crop' ", Assert.Single(w));
        Assert.True(cfg.Crop.Enabled);
    }

    [Fact]
    public void RepeatedKeyLastOneWins()
    {
        using var d = new TempConfigDir();
        Assert.Equal(9, d.Load("plotting:\n  dpi: 5\n  dpi: 9\n").Config.Plotting.Dpi);
    }

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        using var d = new TempConfigDir();
        string p = Path.Join(d.Root, "nope.yaml");
        var e = Assert.Throws<Tract7dtException>(() => ConfigLoader.Load(p));
        Assert.Equal(ErrorCodes.ConfigNotFound, e.Code);
        Assert.Contains(p, e.Message);
    }

    [Fact]
    public void AnchorsAndAliasesAreHonoured()
    {
        using var d = new TempConfigDir();
        var (cfg, _) = d.Load("crop:\n  margin: &m 120\npatches:\n  halo_pix_min: *m\n");
        Assert.Equal(120, cfg.Patches.HaloPixMin);
    }
}

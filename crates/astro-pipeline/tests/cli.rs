//! The `astro` command line against AstroDrizzle's parameter list.
//!
//! The list (name, type, default, section, allowed options) is
//! `parity/fixtures/pipeline/astrodrizzle_parameters.json`, written by
//! `parity/scripts/gen_pipeline_fixtures.py` from drizzlepac 3.11's `astrodrizzle.cfgspc`
//! and `teal.load("astrodrizzle", defaults=True)`. For every parameter: its flag is in
//! `astro drizzle --help` under the heading of its AstroDrizzle section, a TOML file and
//! the flag (both spellings) set it to the same non-default value, and our default is
//! AstroDrizzle's. The enum parameters' options are compared with the differences listed.
//! Then precedence (defaults < TOML < flags) and the error messages and exit codes of the
//! `astro` binary.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

use astro_pipeline::cli::{self, Cli, Commands};
use astro_pipeline::{
    ASTRODRIZZLE_PARAMETERS, BlotInterp, CombineTypeName, DrizzleConfig, EXTRA_PARAMETERS,
    FinalUnits, KernelName, ProcUnit, SkyMethod, SkyStat, WhtType,
};
use clap::{CommandFactory, Parser, ValueEnum};
use serde_json::Value;

/// One AstroDrizzle parameter from the fixture.
struct Param {
    name: String,
    kind: String,
    default: Value,
    section: String,
    options: Vec<String>,
}

fn fixture() -> Vec<Param> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../parity/fixtures/pipeline/astrodrizzle_parameters.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["drizzlepac"].as_str().unwrap().starts_with("3.11"));
    doc["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Param {
            name: p["name"].as_str().unwrap().to_string(),
            kind: p["type"].as_str().unwrap().to_string(),
            default: p["default"].clone(),
            section: p["section"].as_str().unwrap().to_string(),
            options: p
                .get("options")
                .and_then(Value::as_array)
                .map(|o| o.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Our `--help` heading for each AstroDrizzle cfgspc section.
fn heading_of(section: &str) -> &'static str {
    match section {
        "GENERAL" => cli::GENERAL,
        "STATE OF INPUT FILES" => cli::STATE,
        "STEP 1: STATIC MASK" => cli::STEP1,
        "STEP 2: SKY SUBTRACTION" => cli::STEP2,
        "STEP 3: DRIZZLE SEPARATE IMAGES" => cli::STEP3,
        "STEP 3a: CUSTOM WCS FOR SEPARATE OUTPUTS" => cli::STEP3A,
        "STEP 4: CREATE MEDIAN IMAGE" => cli::STEP4,
        "STEP 5: BLOT BACK THE MEDIAN IMAGE" => cli::STEP5,
        "STEP 6: REMOVE COSMIC RAYS WITH DERIV, DRIZ_CR" => cli::STEP6,
        "STEP 7: DRIZZLE FINAL COMBINED IMAGE" => cli::STEP7,
        "STEP 7a: CUSTOM WCS FOR FINAL OUTPUT" => cli::STEP7A,
        "INSTRUMENT PARAMETERS" => cli::INSTRUMENT,
        other => panic!("unknown AstroDrizzle section {other:?}"),
    }
}

/// The value of `name` in `cfg.parameters()`.
fn value_of(cfg: &DrizzleConfig, name: &str) -> String {
    cfg.parameters()
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} is not in parameters()"))
        .1
}

/// The effective configuration of `astro drizzle <args>`.
fn parse(args: &[&str]) -> Result<DrizzleConfig, String> {
    let argv = ["astro", "drizzle"].iter().chain(args).copied();
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let Commands::Drizzle(args) = cli.command else {
        panic!("not the drizzle subcommand")
    };
    args.config().map_err(|e| e.to_string())
}

fn drizzle_command() -> clap::Command {
    Cli::command()
        .find_subcommand("drizzle")
        .expect("a drizzle subcommand")
        .clone()
}

/// AstroDrizzle parameters we hold as numbers where AstroDrizzle's cfgspc has strings.
const TYPED_INSTRUMENT: &[&str] = &["gain", "rdnoise", "exptime"];

/// A value different from our default, as text (the flag's argument and the TOML value).
fn non_default(name: &str, kind: &str, ours: &str, options: &[String]) -> String {
    let special = match name {
        "input" => Some("a_flt.fits,b_flt.fits"),
        "wcskey" => Some("A"),
        "group" => Some("1,2"),
        "resetbits" | "sky_bits" | "driz_sep_bits" | "final_bits" => Some("64,32"),
        "combine_nsigma" | "driz_cr_snr" | "driz_cr_scale" => Some("5 4"),
        "driz_sep_wt_scl" | "final_wt_scl" => Some("expsq"),
        "gain" | "rdnoise" | "exptime" => Some("2.5"),
        "gnkeyword" | "rnkeyword" | "expkeyword" => Some("ATODGNA"),
        _ => None,
    };
    if let Some(s) = special {
        return s.to_string();
    }
    match kind {
        "boolean" => (ours != "true").to_string(),
        "integer" => (ours.parse::<i64>().unwrap() + 3).to_string(),
        "integer_or_none" => "7".to_string(),
        "float" => format!("{:?}", ours.parse::<f64>().unwrap() + 0.25),
        "float_or_none" => match ours {
            "None" => "1.5".to_string(),
            v => format!("{:?}", v.parse::<f64>().unwrap() + 0.25),
        },
        "option" => options
            .iter()
            .find(|o| o.as_str() != ours && !MISSING_OPTIONS.contains(&o.as_str()))
            .expect("another supported option")
            .clone(),
        "string" => "custom_value.txt".to_string(),
        other => panic!("unknown parameter type {other}"),
    }
}

/// The value as a TOML literal: numbers and booleans bare, the rest quoted.
fn toml_literal(kind: &str, name: &str, text: &str) -> String {
    let bare = matches!(
        kind,
        "boolean" | "integer" | "integer_or_none" | "float" | "float_or_none"
    ) || TYPED_INSTRUMENT.contains(&name);
    if bare {
        text.to_string()
    } else {
        toml::Value::String(text.to_string()).to_string()
    }
}

#[test]
fn our_parameter_list_is_astrodrizzles() {
    let names: Vec<String> = fixture().into_iter().map(|p| p.name).collect();
    assert_eq!(names.len(), 99);
    assert_eq!(
        names, ASTRODRIZZLE_PARAMETERS,
        "order and names of the cfgspc"
    );
    let ours: Vec<String> = DrizzleConfig::default()
        .parameters()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let expected: Vec<&str> = ASTRODRIZZLE_PARAMETERS
        .iter()
        .chain(EXTRA_PARAMETERS)
        .copied()
        .collect();
    assert_eq!(ours, expected);
}

#[test]
fn every_parameter_is_in_help_under_its_section_with_its_default() {
    let mut cmd = drizzle_command();
    let help = cmd.render_long_help().to_string();
    let extras = EXTRA_PARAMETERS
        .iter()
        .map(|n| (n.to_string(), cli::EXTRAS));
    let all: Vec<(String, &str)> = fixture()
        .into_iter()
        .map(|p| (p.name.clone(), heading_of(&p.section)))
        .chain(extras)
        .collect();
    for (name, heading) in &all {
        assert!(
            help.contains(&format!("--{name} <")),
            "--{name} is missing from `astro drizzle --help`"
        );
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no --{name} flag"));
        assert_eq!(
            arg.get_help_heading(),
            Some(*heading),
            "heading of --{name}"
        );
        let text = arg.get_help().expect("a help line").to_string();
        let default = value_of(&DrizzleConfig::default(), name);
        let shown = if default.is_empty() {
            "\"\"".to_string()
        } else {
            default
        };
        assert!(
            text.ends_with(&format!("[default: {shown}]")),
            "--{name}: {text:?} does not show the default {shown}"
        );
        if name.contains('_') {
            let kebab = name.replace('_', "-");
            assert!(
                arg.get_all_aliases()
                    .is_some_and(|a| a.contains(&kebab.as_str())),
                "--{name} has no --{kebab} alias"
            );
        }
    }
    // the headings come in AstroDrizzle's order
    let order = [
        cli::GENERAL,
        cli::STATE,
        cli::STEP1,
        cli::STEP2,
        cli::STEP3,
        cli::STEP3A,
        cli::STEP4,
        cli::STEP5,
        cli::STEP6,
        cli::STEP7,
        cli::STEP7A,
        cli::INSTRUMENT,
        cli::EXTRAS,
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|h| {
            help.find(&format!("\n{h}:\n"))
                .unwrap_or_else(|| panic!("no heading {h:?} in --help"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    // no flag without a parameter behind it, except the configuration-file flags
    let known: BTreeSet<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(
                known.contains(long)
                    || ["config", "print-config", "write-config", "help"].contains(&long),
                "--{long} is not a parameter"
            );
        }
    }
}

#[test]
fn our_defaults_are_astrodrizzles() {
    let ours = DrizzleConfig::default();
    for p in fixture() {
        let v = value_of(&ours, &p.name);
        let ad = &p.default;
        let same = match p.kind.as_str() {
            "boolean" => ad.as_bool().map(|b| b.to_string()) == Some(v.clone()),
            "integer" => ad.as_i64() == v.parse::<i64>().ok(),
            "float" => ad.as_f64() == v.parse::<f64>().ok(),
            "integer_or_none" | "float_or_none" => match ad {
                Value::Null => v == "None",
                n => n.as_f64() == v.parse::<f64>().ok(),
            },
            "option" => ad.as_str() == Some(v.as_str()),
            "string" => match p.name.as_str() {
                // "4 3" / "3.5 3.0": compare the numbers
                "combine_nsigma" | "driz_cr_snr" | "driz_cr_scale" => {
                    let nums = |s: &str| -> Vec<f64> {
                        s.split_whitespace().map(|x| x.parse().unwrap()).collect()
                    };
                    nums(ad.as_str().unwrap()) == nums(&v)
                }
                // Deliberate deviation: AstroDrizzle declares gain/rdnoise/exptime as
                // strings whose default "" means "read the headers"; ours are numbers
                // (Option<f64>) whose default None means the same, and "" reads as None.
                n if TYPED_INSTRUMENT.contains(&n) => ad.as_str() == Some("") && v == "None",
                _ => ad.as_str() == Some(v.as_str()),
            },
            other => panic!("unknown type {other}"),
        };
        assert!(same, "{}: AstroDrizzle's default {ad}, ours {v:?}", p.name);
    }
}

/// AstroDrizzle options we do not offer (each refused with an error naming it).
const MISSING_OPTIONS: &[&str] = &["tophat", "sum"];

/// (parameter, our options, AstroDrizzle's options we lack, ours it lacks)
type OptionDiff = (
    &'static str,
    Vec<String>,
    &'static [&'static str],
    &'static [&'static str],
);

fn our_options<T: ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .map(|v| v.to_possible_value().unwrap().get_name().to_string())
        .collect()
}

#[test]
fn enum_options_match_astrodrizzles_with_the_listed_differences() {
    let kernels = our_options::<KernelName>();
    let table: Vec<OptionDiff> = vec![
        ("proc_unit", our_options::<ProcUnit>(), &[], &[]),
        ("skymethod", our_options::<SkyMethod>(), &[], &[]),
        ("skystat", our_options::<SkyStat>(), &[], &[]),
        // tophat: drizzle 2.x (the C kernel we match) removed it; lanczos2 is drizzle's.
        (
            "driz_sep_kernel",
            kernels.clone(),
            &["tophat"],
            &["lanczos2"],
        ),
        ("final_kernel", kernels, &["tophat"], &["lanczos2"]),
        // sum: not a robust reference for cosmic-ray detection; astro-combine lacks it.
        (
            "combine_type",
            our_options::<CombineTypeName>(),
            &["sum"],
            &[],
        ),
        // lanczos3/5: drizzle's blot_image has them; AstroDrizzle's list does not.
        (
            "blot_interp",
            our_options::<BlotInterp>(),
            &[],
            &["lanczos3", "lanczos5"],
        ),
        ("final_wht_type", our_options::<WhtType>(), &[], &[]),
        ("final_units", our_options::<FinalUnits>(), &[], &[]),
    ];
    let params = fixture();
    let option_params: BTreeSet<&str> = params
        .iter()
        .filter(|p| p.kind == "option")
        .map(|p| p.name.as_str())
        .collect();
    let listed: BTreeSet<&str> = table.iter().map(|t| t.0).collect();
    assert_eq!(option_params, listed, "every option parameter is compared");
    for (name, ours, lacking, extra) in &table {
        let ad = &params.iter().find(|p| p.name == *name).unwrap().options;
        let ad_set: BTreeSet<&str> = ad.iter().map(String::as_str).collect();
        let our_set: BTreeSet<&str> = ours.iter().map(String::as_str).collect();
        let missing: Vec<&str> = ad_set.difference(&our_set).copied().collect();
        let more: Vec<&str> = our_set.difference(&ad_set).copied().collect();
        assert_eq!(missing, *lacking, "{name}: AstroDrizzle options we lack");
        assert_eq!(more, *extra, "{name}: our options AstroDrizzle lacks");
        for m in &missing {
            let e = parse(&[&format!("--{name}"), m]).unwrap_err();
            assert!(e.contains(m) && e.contains(name), "{e}");
            let e = DrizzleConfig::from_toml_str(&format!("{name} = \"{m}\""))
                .unwrap_err()
                .to_string();
            assert!(e.contains(m), "{e}");
        }
    }
}

#[test]
fn toml_and_flags_reach_every_parameter() {
    let defaults = DrizzleConfig::default();
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(String, String, Vec<String>)> = fixture()
        .into_iter()
        .map(|p| (p.name, p.kind, p.options))
        .collect();
    cases.extend(
        EXTRA_PARAMETERS
            .iter()
            .map(|n| (n.to_string(), "boolean".to_string(), vec![])),
    );
    for (name, kind, options) in &cases {
        let ours = value_of(&defaults, name);
        let text = non_default(name, kind, &ours, options);
        // TOML file
        let path = dir.path().join(format!("{name}.toml"));
        let line = format!("{name} = {}\n", toml_literal(kind, name, &text));
        std::fs::write(&path, &line).unwrap();
        let from_toml =
            DrizzleConfig::from_toml_file(&path).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!(value_of(&from_toml, name), text, "TOML {line:?}");
        let changed: Vec<String> = from_toml
            .parameters()
            .into_iter()
            .zip(defaults.parameters())
            .filter(|(a, b)| a != b)
            .map(|(a, _)| a.0)
            .collect();
        assert_eq!(
            changed,
            [name.as_str()],
            "TOML {line:?} changed exactly {name}"
        );
        // flags: AstroDrizzle's spelling and the kebab one, and `--name=value`
        let flag = format!("--{name}");
        let from_flag = parse(&[&flag, &text]).unwrap_or_else(|e| panic!("{flag} {text}: {e}"));
        assert_eq!(from_flag, from_toml, "{flag} {text:?}");
        let kebab = format!("--{}", name.replace('_', "-"));
        assert_eq!(parse(&[&kebab, &text]).unwrap(), from_toml, "{kebab}");
        assert_eq!(
            parse(&[&format!("{flag}={text}")]).unwrap(),
            from_toml,
            "{flag}={text}"
        );
        // and through --config
        let via_config = parse(&["--config", path.to_str().unwrap()]).unwrap();
        assert_eq!(via_config, from_toml, "--config {line:?}");
    }
}

#[test]
fn astrodrizzle_style_values_are_accepted() {
    // booleans as AstroDrizzle users write them
    for (text, v) in [
        ("False", false),
        ("no", false),
        ("TRUE", true),
        ("yes", true),
    ] {
        assert_eq!(parse(&["--static", text]).unwrap().static_mask, v, "{text}");
    }
    // None / INDEF for optional values, from flags and from TOML
    for word in ["None", "INDEF", "none"] {
        assert_eq!(parse(&["--skywidth", word]).unwrap().skywidth, None);
        let cfg = DrizzleConfig::from_toml_str(&format!("skywidth = \"{word}\"")).unwrap();
        assert_eq!(cfg.skywidth, None);
    }
    // a None over a non-None default survives the TOML round trip
    let cfg = parse(&["--skywidth", "None", "--final_scale", "0.05"]).unwrap();
    let back = DrizzleConfig::from_toml_str(&cfg.to_toml_string()).unwrap();
    assert_eq!(back, cfg);
    assert_eq!((back.skywidth, back.final_scale), (None, Some(0.05)));
    // AstroDrizzle's string-typed instrument parameters, integers for floats, aliases
    let cfg = DrizzleConfig::from_toml_str(
        "gain = \"2.0\"\nrdnoise = \"\"\nfinal_pixfrac = 1\nfinal_wt_scl = 2\ncombine_type = \"average\"\ngainkeyword = \"ATODGNB\"",
    )
    .unwrap();
    assert_eq!(cfg.gain, Some(2.0));
    assert_eq!(cfg.rdnoise, None);
    assert_eq!(cfg.final_pixfrac, 1.0);
    assert_eq!(cfg.final_wt_scl, astro_pipeline::WeightScale::Value(2.0));
    assert_eq!(cfg.combine_type, CombineTypeName::Mean);
    assert_eq!(cfg.gnkeyword.as_deref(), Some("ATODGNB"));
    let cfg = parse(&[
        "--combine_type",
        "average",
        "--gainkeyword",
        "ATODGNB",
        "--final_wht_type",
        "ivm",
        "--final_kernel",
        "LANCZOS3",
    ])
    .unwrap();
    assert_eq!(cfg.combine_type, CombineTypeName::Mean);
    assert_eq!(cfg.gnkeyword.as_deref(), Some("ATODGNB"));
    assert_eq!(cfg.final_wht_type, WhtType::Ivm);
    assert_eq!(cfg.final_kernel, KernelName::Lanczos3);
}

#[test]
fn inputs_positional_or_flag() {
    let cfg = parse(&["a_flt.fits", "b_*.fits", "@more.txt"]).unwrap();
    assert_eq!(cfg.input, "a_flt.fits,b_*.fits,@more.txt");
    assert_eq!(parse(&["--input", "x.fits"]).unwrap().input, "x.fits");
    assert_eq!(parse(&[]).unwrap().input, "*flt.fits");
    let e = parse(&["a.fits", "--input", "b.fits"]).unwrap_err();
    assert!(e.contains("--input"), "{e}");
}

#[test]
fn precedence_is_defaults_then_toml_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.toml");
    std::fs::write(
        &path,
        "final_pixfrac = 0.6\nfinal_kernel = \"point\"\ninput = \"from_toml.fits\"\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let cfg = parse(&["--config", p]).unwrap();
    assert_eq!(cfg.final_pixfrac, 0.6); // TOML over default
    assert_eq!(cfg.final_kernel, KernelName::Point);
    assert_eq!(cfg.input, "from_toml.fits");
    assert_eq!(cfg.driz_sep_kernel, KernelName::Turbo); // default kept
    let cfg = parse(&[
        "--config",
        p,
        "--final_pixfrac",
        "0.8",
        "cli.fits",
        "--skysub",
        "false",
    ])
    .unwrap();
    assert_eq!(cfg.final_pixfrac, 0.8); // flag over TOML
    assert_eq!(cfg.final_kernel, KernelName::Point); // TOML kept
    assert_eq!(cfg.input, "cli.fits");
    assert!(!cfg.skysub);
    // the flag's position relative to --config does not matter
    assert_eq!(
        parse(&["--final_pixfrac", "0.8", "--config", p])
            .unwrap()
            .final_pixfrac,
        0.8
    );
}

#[test]
fn parse_errors_name_the_flag() {
    let e = parse(&["--final_pixfrac", "abc"]).unwrap_err();
    assert!(e.contains("--final_pixfrac") && e.contains("abc"), "{e}");
    let e = parse(&["--final_kernel", "tophat"]).unwrap_err();
    assert!(e.contains("--final_kernel") && e.contains("tophat"), "{e}");
    let e = parse(&["--static", "maybe"]).unwrap_err();
    assert!(e.contains("--static") && e.contains("maybe"), "{e}");
    let e = parse(&["--combine_nsigma", "4"]).unwrap_err();
    assert!(e.contains("--combine_nsigma"), "{e}");
    let e = parse(&["--final_outnx", "-3"]).unwrap_err();
    assert!(e.contains("--final_outnx") && e.contains("-3"), "{e}");
    // negative numbers are values, not flags
    let cfg = parse(&["--final_rot", "-30", "--blot_skyval", "-1.5e1"]).unwrap();
    assert_eq!((cfg.final_rot, cfg.blot_skyval), (Some(-30.0), -15.0));
    let e = parse(&["--final_pixfrak", "0.8"]).unwrap_err();
    assert!(e.contains("--final_pixfrak"), "{e}");
    assert!(
        e.contains("--final_pixfrac"),
        "suggests the right flag: {e}"
    );
    // TOML: unknown names and bad values name the parameter
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "final_pixfrak = 0.8\n").unwrap();
    let e = parse(&["--config", path.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("final_pixfrak") && e.contains("bad.toml"), "{e}");
    std::fs::write(&path, "final_scale = \"big\"\n").unwrap();
    let e = parse(&["--config", path.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("final_scale") && e.contains("big"), "{e}");
}

// ---- the binary ----

fn astro(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_astro"))
        .args(args)
        .output()
        .expect("run astro")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn binary_usage_errors_exit_2() {
    let o = astro(&["drizzle", "--final_pixfrak", "0.8"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--final_pixfrak"));
    let o = astro(&["drizzle", "--final_pixfrac", "big"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--final_pixfrac") && stderr(&o).contains("big"),
        "{}",
        stderr(&o)
    );
    let o = astro(&[]);
    assert_eq!(o.status.code(), Some(2), "no subcommand");
    assert!(stderr(&o).contains("drizzle"));
}

#[test]
fn binary_run_errors_exit_1_naming_the_parameter_or_file() {
    // conflicting parameters (validate)
    let o = astro(&[
        "drizzle",
        "--gain",
        "2",
        "--gnkeyword",
        "ATODGNA",
        "--print-config",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.starts_with("astro: error: parameter gain"), "{e}");
    assert!(e.contains("gnkeyword"), "{e}");
    assert!(
        o.stdout.is_empty(),
        "nothing printed for an invalid configuration"
    );
    // an input that does not exist: the pipeline's error, named
    let dir = tempfile::tempdir().unwrap();
    let pattern = dir.path().join("nothing_*_flt.fits");
    let o = astro(&["drizzle", pattern.to_str().unwrap(), "--progress", "false"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("astro: error: input") && e.contains("nothing_*_flt.fits"),
        "{e}"
    );
    // a missing configuration file
    let o = astro(&["drizzle", "--config", "/nonexistent/run.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("astro: error: /nonexistent/run.toml"),
        "{}",
        stderr(&o)
    );
    // an unknown parameter in the configuration file
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "final_pixfrak = 0.8\n").unwrap();
    let o = astro(&["drizzle", "--config", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.starts_with("astro: error: configuration file"), "{e}");
    assert!(e.contains("final_pixfrak"), "{e}");
}

#[test]
fn binary_prints_and_writes_the_effective_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let toml_in = dir.path().join("in.toml");
    std::fs::write(&toml_in, "final_pixfrac = 0.6\nskywidth = \"INDEF\"\n").unwrap();
    let written = dir.path().join("out.toml");
    let args = [
        "drizzle",
        "j8bt06nyq_flt.fits",
        "--config",
        toml_in.to_str().unwrap(),
        "--final_kernel",
        "gaussian",
        "--print-config",
        "--write-config",
        written.to_str().unwrap(),
    ];
    let o = astro(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let printed = DrizzleConfig::from_toml_str(&String::from_utf8(o.stdout).unwrap()).unwrap();
    let expected = parse(&args[1..6]).unwrap();
    assert_eq!(printed, expected);
    assert_eq!(printed.input, "j8bt06nyq_flt.fits");
    assert_eq!(printed.final_pixfrac, 0.6);
    assert_eq!(printed.skywidth, None);
    assert_eq!(printed.final_kernel, KernelName::Gaussian);
    assert_eq!(DrizzleConfig::from_toml_file(&written).unwrap(), expected);
    // every parameter is in the printed file
    let text = std::fs::read_to_string(&written).unwrap();
    for name in ASTRODRIZZLE_PARAMETERS.iter().chain(EXTRA_PARAMETERS) {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name} = "))),
            "{name} missing from the written configuration"
        );
    }
}

#[test]
fn binary_help_and_version() {
    let o = astro(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("astro ") && out.contains(env!("CARGO_PKG_VERSION")));
    let o = astro(&["drizzle", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("Step 6: cosmic rays (driz_cr):") && out.contains("--driz_cr_snr"));
}

#[test]
fn binary_demo_runs_and_says_where_things_went() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = astro(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--exposures",
        "2",
        "--seed",
        "3",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = String::from_utf8(o.stdout.clone()).unwrap();
    for product in ["demo_drz_sci.fits", "demo_drz_wht.fits", "demo_drz_sci.png"] {
        let path = out.join(product);
        assert!(path.is_file(), "{path:?} missing");
        assert!(
            report.contains(path.to_str().unwrap()),
            "{product} not in the report"
        );
    }
    assert!(!stderr(&o).contains("astro demo: simulating"), "--quiet");
    // one exposure cannot show cosmic-ray rejection: a clear error
    let o = astro(&["demo", "--out", out.to_str().unwrap(), "--exposures", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("astro: error: parameter n_exposures"),
        "{}",
        stderr(&o)
    );
}

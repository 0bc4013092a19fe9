//! The `astro` command-line tool: `astro drizzle` (AstroDrizzle's pipeline, every parameter
//! a flag) and `astro demo` (simulate a small dataset and drizzle it).
//!
//! Exit codes: 0 on success (and for `--help`/`--version`), 1 when the run fails (the
//! message `astro: error: ...` on stderr names the file or parameter), 2 for command-line
//! usage errors (unknown flag, malformed value).

use std::error::Error as StdError;
use std::io::Write as _;
use std::process::ExitCode;

use astro_pipeline::DrizzleConfig;
use astro_pipeline::cli::{Cli, Commands, DemoArgs, DrizzleArgs, error_report, write_config};
use clap::Parser;

type CliResult = Result<(), Box<dyn StdError>>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match &cli.command {
        Commands::Drizzle(args) => drizzle(args),
        Commands::Demo(args) => demo(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", error_report(e.as_ref()));
            ExitCode::from(1)
        }
    }
}

/// `astro drizzle`: defaults < `--config` < flags, validated, then printed/written or run.
fn drizzle(args: &DrizzleArgs) -> CliResult {
    let cfg = args.config()?;
    cfg.validate()?;
    if let Some(path) = &args.write_config {
        write_config(&cfg, path)?;
        eprintln!("astro: wrote the configuration to {}", path.display());
    }
    if args.print_config {
        print_stdout(&cfg.to_toml_string())?;
    }
    if args.print_config || args.write_config.is_some() {
        return Ok(());
    }
    run_pipeline(&cfg)
}

/// Writes to stdout; a closed pipe (`astro drizzle --print-config | head`) is not an error.
fn print_stdout(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Box::new(e)),
        _ => Ok(()),
    }
}

/// Runs the pipeline; it reports what it wrote on stderr and in the `runfile` log.
fn run_pipeline(cfg: &DrizzleConfig) -> CliResult {
    astro_pipeline::run(cfg)?;
    Ok(())
}

/// `astro demo`: simulate, drizzle, compare with the truth; the report goes to stdout.
fn demo(args: &DemoArgs) -> CliResult {
    let opts = args.options();
    opts.validate()?;
    let report = astro_pipeline::run_demo(&opts)?;
    print_stdout(&format!("{report}\n"))
}

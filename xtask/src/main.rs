//! Developer automation: `cargo xtask ci` runs the whole gate (fmt, clippy, doc, tests).

use std::process::{Command, ExitCode};

fn run(step: &str, program: &str, args: &[&str], env: &[(&str, &str)]) -> bool {
    eprintln!("==> {step}: {program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(s) if s.success() => true,
        Ok(s) => {
            eprintln!("xtask: {step} failed ({s})");
            false
        }
        Err(e) => {
            eprintln!("xtask: cannot run {program}: {e}");
            false
        }
    }
}

/// The gate, step by step; stops at the first failure.
fn ci() -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let c = cargo.as_str();
    run("fmt", c, &["fmt", "--all", "--", "--check"], &[])
        && run(
            "clippy",
            c,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )
        && run(
            "doc",
            c,
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
        && run("test", c, &["test", "--workspace"], &[])
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ok = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        _ => {
            eprintln!("usage: cargo xtask ci");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

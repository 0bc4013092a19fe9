//! The run log: every step's start and end, the effective configuration, skies, cosmic-ray
//! counts and products, written line by line to the `runfile` (so a failed run still
//! leaves its log) and, at info level, to stderr; plus the progress bars.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Error, Result};

/// UTC time as `YYYY-MM-DDTHH:MM:SS.mmm`.
pub(crate) fn utc_now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// The log of one run.
pub(crate) struct RunLog {
    file: Option<(PathBuf, File)>,
    echo: bool,
    progress: bool,
    /// `(step, seconds)` of every finished step, in order.
    pub(crate) timings: Vec<(String, f64)>,
}

impl RunLog {
    /// A log writing to `path` (created or truncated) when given; `echo` copies info lines
    /// to stderr; `progress` shows bars when stderr is a terminal.
    pub(crate) fn new(path: Option<&Path>, echo: bool, progress: bool) -> Result<RunLog> {
        let file = match path {
            Some(p) => {
                let f = File::create(p).map_err(|e| Error::io(p, e))?;
                Some((p.to_path_buf(), f))
            }
            None => None,
        };
        Ok(RunLog {
            file,
            echo,
            progress: progress && std::io::stderr().is_terminal(),
            timings: Vec::new(),
        })
    }

    /// A log that writes nothing (library calls).
    pub(crate) fn silent() -> RunLog {
        RunLog {
            file: None,
            echo: false,
            progress: false,
            timings: Vec::new(),
        }
    }

    /// The log file, if any.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|(p, _)| p.as_path())
    }

    fn write_file(&mut self, line: &str) {
        if let Some((_, f)) = self.file.as_mut() {
            // A log line that cannot be written must not stop the science: ignore errors.
            let _ = writeln!(f, "{} {line}", utc_now());
            let _ = f.flush();
        }
    }

    /// A line for the file and (when echoing) stderr.
    pub(crate) fn info(&mut self, line: &str) {
        self.write_file(line);
        if self.echo {
            eprintln!("astro: {line}");
        }
    }

    /// A line for the file only.
    pub(crate) fn detail(&mut self, line: &str) {
        self.write_file(line);
    }

    /// A warning: file and stderr (always, when echoing).
    pub(crate) fn warn(&mut self, line: &str) {
        self.write_file(&format!("WARNING: {line}"));
        if self.echo {
            eprintln!("astro: warning: {line}");
        }
    }

    /// Starts a step: logs its start and returns its timer.
    pub(crate) fn start_step(&mut self, name: &str) -> StepTimer {
        self.detail(&format!("==== step {name}: start"));
        StepTimer {
            name: name.to_string(),
            start: Instant::now(),
        }
    }

    /// Ends a step: logs its duration and records it.
    pub(crate) fn end_step(&mut self, timer: StepTimer) {
        let secs = timer.start.elapsed().as_secs_f64();
        self.info(&format!("{} done in {secs:.3} s", timer.name));
        self.timings.push((timer.name, secs));
    }

    /// A progress bar of `len` items for `step` (hidden unless enabled and on a terminal).
    pub(crate) fn bar(&self, step: &str, len: usize) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} {elapsed_precise}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(step.to_string());
        bar
    }
}

/// The start of a running step.
pub(crate) struct StepTimer {
    name: String,
    start: Instant,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_format() {
        let t = utc_now();
        assert_eq!(t.len(), 23, "{t}");
        assert_eq!(&t[4..5], "-");
        assert_eq!(&t[10..11], "T");
    }

    #[test]
    fn log_file_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.log");
        let mut log = RunLog::new(Some(&p), false, false).unwrap();
        let t = log.start_step("sky");
        log.detail("sky of a = 3");
        log.end_step(t);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("step sky: start"));
        assert!(text.contains("sky of a = 3"));
        assert!(text.contains("sky done in"));
        assert_eq!(log.timings.len(), 1);
    }
}

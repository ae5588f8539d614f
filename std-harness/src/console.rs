//! Where the harness talks: result lines on standard output and progress
//! bars on standard error (drawn only on a terminal, never with `--quiet`).

use std::io::Write;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The harness's console: printing and progress bars that do not clobber each other.
#[derive(Debug, Clone)]
pub struct Console {
    multi: MultiProgress,
    /// Prints nothing at all (the trials of a search).
    mute: bool,
}

impl Console {
    /// A console; `quiet` hides the progress bars (results are still printed).
    pub fn new(quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Self {
            multi: MultiProgress::with_draw_target(target),
            mute: false,
        }
    }

    /// A console that prints nothing, neither results nor bars.
    pub fn silent() -> Self {
        Self {
            mute: true,
            ..Self::new(true)
        }
    }

    /// Prints a line on standard output, above any progress bar.
    ///
    /// A closed standard output (`flambeau ... | head`) is not an error: the
    /// line is dropped and the run goes on to write its files.
    pub fn say(&self, line: &str) {
        self.print(line, false);
    }

    /// Prints a remark on standard error (results stay alone on standard
    /// output), above any progress bar; printed with `--quiet` too.
    pub fn note(&self, line: &str) {
        self.print(line, true);
    }

    /// `line` on standard error or output, the stream locked only while it is written.
    fn print(&self, line: &str, stderr: bool) {
        if self.mute {
            return;
        }
        let print = || {
            let _ = if stderr {
                writeln!(std::io::stderr().lock(), "{line}")
            } else {
                writeln!(std::io::stdout().lock(), "{line}")
            };
        };
        if self.multi.is_hidden() {
            print();
        } else {
            self.multi.suspend(print);
        }
    }

    /// A progress bar of `len` steps labelled `prefix`; it shows the loss
    /// and score through its message.
    pub fn bar(&self, len: u64, prefix: &str) -> ProgressBar {
        let style = ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = self.multi.add(ProgressBar::new(len));
        bar.set_style(style);
        bar.set_prefix(prefix.to_owned());
        bar
    }

    /// Removes a finished bar from the display.
    pub fn finish(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        self.multi.remove(bar);
    }
}

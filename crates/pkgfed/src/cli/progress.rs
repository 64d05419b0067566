//! Progress of a long admin job: a bar (indicatif) when stderr is a terminal, plain
//! `what: done/total` lines otherwise (logs, CI, pipes), so the output is useful in
//! both places. Progress goes to stderr; results (and `--json`) go to stdout.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// One job's progress.
pub struct Progress {
    bar: Option<ProgressBar>,
    what: &'static str,
    done: u64,
    total: u64,
}

impl Progress {
    /// Starts showing `what` over `total` steps.
    pub fn new(what: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            ProgressBar::new(total).with_style(style).with_message(what)
        });
        Progress {
            bar,
            what,
            done: 0,
            total,
        }
    }

    /// `n` more steps are done.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => eprintln!("{}: {}/{}", self.what, self.done, self.total),
        }
    }

    /// `done` steps are done in all (a job that learns its progress by polling); a
    /// plain line is printed only when it moved.
    pub fn set(&mut self, done: u64) {
        let done = done.min(self.total);
        if done == self.done {
            return;
        }
        self.done = done;
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None => eprintln!("{}: {}/{}", self.what, self.done, self.total),
        }
    }

    /// Removes the bar (plain lines stay as they are).
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

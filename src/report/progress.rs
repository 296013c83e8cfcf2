//! Progress on stderr while trials run: an indicatif bar on a terminal, one plain line per
//! step otherwise (logs and CI keep every step).
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

pub struct Progress {
    total: usize,
    done: usize,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("[{pos}/{len}] {bar:20} {elapsed} {wide_msg}")
                    .expect("a valid template"),
            );
            bar
        });
        Progress {
            total,
            done: 0,
            bar,
        }
    }

    /// Announces the trial about to run.
    pub fn start(&mut self, label: &str) {
        self.done += 1;
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.done as u64);
                bar.set_message(label.to_string());
            }
            None => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "[{}/{}] {label}", self.done, self.total);
                let _ = err.flush();
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error or Ctrl-C between start and finish must not leave a half-drawn bar.
        self.finish();
    }
}

//! Progress on stderr while trials run: one rewritten line on a terminal, plain lines otherwise.
use std::io::{IsTerminal, Write};

pub struct Progress {
    total: usize,
    done: usize,
    terminal: bool,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Announces the trial about to run.
    pub fn start(&mut self, label: &str) {
        self.done += 1;
        let line = format!("[{}/{}] {label}", self.done, self.total);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    pub fn finish(&mut self) {
        if self.terminal {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

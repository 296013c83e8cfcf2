//! Every Python on the machine: where gilsim looks (`discover`), what each one is (`probe`),
//! and naming one by version (`2.7`, `3.12`, `3.13t`) or path (`resolve`).
pub mod discover;
pub mod probe;

pub use discover::{discover, resolve};
pub use probe::{GilKind, Interpreter};

/// "3.12.1" ≥ (3, 12).
pub fn version_at_least(version: &str, want: (u32, u32)) -> bool {
    let mut parts = version.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    });
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= want
}

//! Every Python on the machine: where gilsim looks (`discover`), what each one is (`probe`),
//! and naming one by version (`2.7`, `3.12`, `3.13t`) or path (`resolve`).
pub mod discover;
pub mod probe;

pub use discover::{discover, resolve};
pub use probe::{GilKind, Interpreter};

/// The newest free-threaded build among `found`, and the GIL build of the same version where
/// there is one: the pair that compares like for like.
pub fn free_threaded_pair(found: &[Interpreter]) -> Option<(Interpreter, Option<Interpreter>)> {
    let free = found
        .iter()
        .filter(|i| i.gil == GilKind::FreeThreaded)
        .max_by_key(|i| i.version_key())?;
    let twin = found
        .iter()
        .find(|i| i.gil == GilKind::New && i.version == free.version);
    Some((free.clone(), twin.cloned()))
}

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

//! Scenarios: each turns its options into trials, runs them in worker processes and condenses
//! the measurements into rows and a verdict.
pub mod countdown;
pub mod host;
pub mod pool;

/// The items in first-seen order, without repeats (`--threads 2,1,2` runs 2 and 1 once each).
pub fn dedup<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

//! The convoy's client: a host thread that never holds the GIL, sending small requests to the
//! Python echo server over a socket and timing each round trip.
use std::io::{Read, Write};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

pub struct ClientResult {
    pub requests: u64,
    pub latencies_s: Vec<f64>,
    pub elapsed_s: f64,
}

/// At most this many round trips are kept for percentiles (30,000 req/s × 2 s fits).
const MAX_KEPT: usize = 1_000_000;

/// Sends requests on `fd` (borrowed: the caller keeps owning it) for `duration`.
pub fn run(fd: BorrowedFd<'_>, duration: Duration) -> std::io::Result<ClientResult> {
    let owned: OwnedFd = fd.try_clone_to_owned()?;
    let mut sock = std::fs::File::from(owned);
    let request = [b'x'; 16];
    let mut reply = [0u8; 16];
    let mut latencies = Vec::new();
    let mut requests = 0;
    let start = Instant::now();
    while start.elapsed() < duration {
        let sent = Instant::now();
        sock.write_all(&request)?;
        sock.read_exact(&mut reply)?;
        if latencies.len() < MAX_KEPT {
            latencies.push(sent.elapsed().as_secs_f64());
        }
        requests += 1;
    }
    Ok(ClientResult {
        requests,
        latencies_s: latencies,
        elapsed_s: start.elapsed().as_secs_f64(),
    })
}

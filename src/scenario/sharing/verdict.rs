//! The `sharing` verdict: per interpreter and workload, at the most threads measured, what
//! sharing one object cost against each thread having its own, decided by the two speed-ups'
//! ranges; where it cost, whether the threads waited off CPU or ran slower on it, from the
//! idle share and the CPU time per operation.
use super::rows::{times, SharingRow};

/// Idle shares further apart than this tell waiting from running.
const IDLE_APART: f64 = 0.15;
/// CPU time per operation this many times the own objects' counts as slower on the CPU.
const SLOWER_PER_OP: f64 = 1.2;

/// The row of (python, workload, sharing) at `threads`.
fn find<'a>(
    rows: &'a [SharingRow],
    python: &str,
    workload: &str,
    sharing: &str,
    threads: usize,
) -> Option<&'a SharingRow> {
    rows.iter().find(|r| {
        r.python == python && r.workload == workload && r.sharing == sharing && r.threads == threads
    })
}

/// How the shared object's threads spent the cost, from what was measured.
fn how(own: &SharingRow, shared: &SharingRow, gil: bool) -> String {
    let waited = shared.idle_share - own.idle_share;
    let per_op = shared.cpu_ns_per_op / own.cpu_ns_per_op;
    if waited > IDLE_APART {
        format!(
            "its threads left {:.0} % of the cores idle against {:.0} % with their own objects: \
             they waited off CPU ({})",
            shared.idle_share * 100.0,
            own.idle_share * 100.0,
            if gil {
                "for the GIL"
            } else {
                "on a lock: the shared object's per-object lock, or a stop-the-world pause"
            }
        )
    } else if per_op >= SLOWER_PER_OP {
        format!(
            "its threads stayed on the CPU but each operation cost ×{per_op:.2} the CPU time \
             ({:.0} ns against {:.0} ns): they slowed each other on the CPU (candidates this \
             run does not tell apart: the object's reference count and the cache lines they \
             share, or spinning on its lock before parking)",
            shared.cpu_ns_per_op, own.cpu_ns_per_op
        )
    } else {
        format!(
            "the idle share ({:.0} % against {:.0} %) and the CPU time per operation ({:.0} ns \
             against {:.0} ns) do not show where",
            shared.idle_share * 100.0,
            own.idle_share * 100.0,
            shared.cpu_ns_per_op,
            own.cpu_ns_per_op
        )
    }
}

pub fn write(rows: &[SharingRow], cpus: usize) -> String {
    let mut out = Vec::new();
    let mut pythons: Vec<&str> = rows.iter().map(|r| r.python.as_str()).collect();
    pythons.dedup();
    for python in pythons {
        let Some(most) = rows
            .iter()
            .filter(|r| r.python == python)
            .map(|r| r.threads)
            .max()
        else {
            continue;
        };
        let gil = rows
            .iter()
            .filter(|r| r.python == python)
            .any(|r| r.gil_enabled);
        let mut said = Vec::new();
        let mut workloads: Vec<&str> = rows
            .iter()
            .filter(|r| r.python == python)
            .map(|r| r.workload)
            .collect();
        workloads.dedup();
        for workload in workloads {
            let shared = find(rows, python, workload, "shared", most);
            let own = find(rows, python, workload, "own", most);
            let Some(shared) = shared else { continue };
            let Some(own) = own else {
                said.push(format!(
                    "{workload}: {most} threads on one shared object ran {} the operations per \
                     second of 1",
                    times(shared.speedup, shared.speedup_interval)
                ));
                continue;
            };
            let s = (shared.speedup, shared.speedup_interval);
            let o = (own.speedup, own.speedup_interval);
            let verdict = match (s.1, o.1) {
                (Some([_, s_hi]), Some([o_lo, _])) if s_hi < o_lo => format!(
                    "sharing cost ×{:.2}: {}",
                    o.0.unwrap_or(f64::NAN) / s.0.unwrap_or(f64::NAN),
                    how(own, shared, gil)
                ),
                (Some([s_lo, _]), Some([_, o_hi])) if s_lo > o_hi => {
                    "the shared object ran faster than their own (measured, not explained)"
                        .to_string()
                }
                (Some(_), Some(_)) => {
                    "sharing's cost is undetermined: the two ranges overlap".to_string()
                }
                _ => "sharing's cost is undetermined: fewer than 3 runs".to_string(),
            };
            said.push(format!(
                "{workload}: {most} threads ran {} the operations per second of 1 on their own \
                 objects and {} on one shared object; {verdict}",
                times(o.0, o.1),
                times(s.0, s.1)
            ));
        }
        let build = if gil {
            // What the build implies, checked against what its multi-thread rows measured.
            let busiest = rows
                .iter()
                .filter(|r| r.python == python && r.threads > 1)
                .map(|r| r.cpu_per_wall)
                .fold(0.0, f64::max);
            format!(
                "with a GIL, so no two threads run Python at once whatever they share (its \
                 multi-thread runs kept at most {busiest:.2} cores busy)"
            )
        } else {
            format!(
                "without a GIL (a free-threaded build), on {cpus} CPU{}",
                if cpus == 1 { "" } else { "s" }
            )
        };
        out.push(format!("Python {python}, {build}. {}.", said.join(". ")));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;

    fn row(
        python: &str,
        workload: &'static str,
        sharing: &'static str,
        threads: usize,
        speedup: (f64, [f64; 2]),
        idle: f64,
        ns: f64,
    ) -> SharingRow {
        SharingRow {
            python: python.into(),
            workload,
            sharing,
            threads,
            iterations: 1_000_000,
            wall_s: Summary::of(&[0.2; 3]),
            speedup: Some(speedup.0),
            speedup_interval: Some(speedup.1),
            cpu_per_wall: 2.0 * (1.0 - idle),
            idle_share: idle,
            cpu_ns_per_op: ns,
            gil_enabled: !python.contains('t'),
        }
    }

    #[test]
    fn sharing_costs_are_decided_by_the_ranges_and_explained_by_what_was_measured() {
        let ft = "3.13t PYTHON_GIL=0";
        let rows = [
            // A shared dict: its threads park (idle) while their own dicts scale.
            row(ft, "dict-update", "own", 2, (1.8, [1.7, 1.9]), 0.05, 100.0),
            row(
                ft,
                "dict-update",
                "shared",
                2,
                (0.6, [0.5, 0.7]),
                0.55,
                110.0,
            ),
            // A shared attribute: on the CPU but slower per operation.
            row(ft, "attr-bump", "own", 2, (1.8, [1.7, 1.9]), 0.05, 100.0),
            row(ft, "attr-bump", "shared", 2, (0.9, [0.8, 1.0]), 0.06, 210.0),
            // Ranges that overlap decide nothing.
            row(ft, "list-append", "own", 2, (1.2, [0.9, 1.5]), 0.1, 100.0),
            row(
                ft,
                "list-append",
                "shared",
                2,
                (1.0, [0.8, 1.3]),
                0.1,
                100.0,
            ),
        ];
        let text = write(&rows, 2);
        assert!(text.contains("without a GIL"), "{text}");
        assert!(text.contains("dict-update: 2 threads"), "{text}");
        assert!(
            text.contains("sharing cost ×3.00: its threads left 55 %"),
            "{text}"
        );
        assert!(
            text.contains("sharing cost ×2.00: its threads stayed on the CPU"),
            "{text}"
        );
        assert!(
            text.contains("undetermined: the two ranges overlap"),
            "{text}"
        );
        insta::assert_snapshot!("free_threaded", text);
    }
}

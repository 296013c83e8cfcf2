//! Lab 10: objects are shared between threads and copied per process.
use crate::domain::StartMethod;
use crate::lab::{
    Anchor, CheckDef, Context, Figures, Instructor, Lab, Measured, PredictionDef, QuantityDef,
    Tolerance,
};
use crate::report::chart;
use crate::scenario::spec::ShareSpec;
use anyhow::Result;

pub fn lab() -> Lab {
    Lab {
        id: "shared-vs-copied",
        title: "Shared between threads, copied per process",
        seconds: (2, 1),
        needs: &[],
        study_note: Some("the study note's remark on threads and processes"),
        goal: "See that a thread's change to a list is visible to the parent and a process's is \
               not, and measure what copying costs under each start method.",
        background: "Threads live in one interpreter and see the same objects. A child process \
                     gets a copy: spawn and forkserver pickle what the child needs and send it; \
                     fork shares the parent's memory pages copy-on-write, so the child's writes \
                     copy pages (reference counting writes to every object it touches).",
        questions: &[
            "Before measuring: after a child process appends to a list, does the parent see it?",
            "How many KiB does spawn pickle to start the child for this list?",
            "Why does fork copy memory even though the child never writes to the list's items?",
        ],
        predictions: &[
            PredictionDef {
                name: "process_change_visible",
                question: "Does the parent see a child process's change? (1 = yes, 0 = no)",
                unit: "",
                tolerance: Tolerance::Absolute(0.0),
            },
            PredictionDef {
                name: "spawn_pickled_kib",
                question: "KiB pickled to start a spawn child that gets the list",
                unit: "KiB",
                tolerance: Tolerance::Relative(0.5),
            },
        ],
        instructor: Instructor {
            expected: "Thread: visible. Process (every start method): not visible. spawn and \
                       forkserver pickle about the list's pickled size; fork pickles nothing but \
                       the child's touches copy pages.",
            anchors: &[Anchor {
                figure: "when using multiple processes, one generally uses message passing; \
                         shared state should be avoided as far as possible",
                source: "Python documentation, multiprocessing: programming guidelines",
            }],
            discussion: &[
                "multiprocessing.shared_memory and Manager: the ways to really share.",
                "gc.freeze() and copy-on-write after fork.",
                "Subinterpreters (3.12+): shared or copied?",
            ],
            wrong_answers: &[
                "\"fork shares memory, so the parent sees the change\"",
                "\"threads copy the list\"",
            ],
        },
        figures,
        measure,
    }
}

const METHODS: [&str; 3] = ["spawn", "forkserver", "fork"];

fn figures() -> Figures {
    let mut quantities = vec![
        QuantityDef::new(
            "thread_change_visible",
            "parent sees the thread's change (1 = yes)",
            "",
        )
        .exact(),
        QuantityDef::new(
            "process_change_visible",
            "parent sees a child process's change, any start method (1 = yes)",
            "",
        )
        .exact(),
    ];
    for sm in METHODS {
        // The pickle's size is the same in every run.
        quantities.push(
            QuantityDef::new(
                format!("{sm}_pickled_kib"),
                format!("{sm}: pickled to start the child"),
                "KiB",
            )
            .exact(),
        );
        quantities.push(QuantityDef::new(
            format!("{sm}_copied_kib"),
            format!("{sm}: memory the child's writes copied"),
            "KiB",
        ));
    }
    Figures {
        quantities,
        checks: vec![
            CheckDef::new("thread_shares", "The parent sees the thread's change"),
            CheckDef::new(
                "processes_copy",
                "The parent sees no child process's change, under every start method",
            ),
        ],
    }
}

fn measure(ctx: &Context, m: &mut Measured) -> Result<()> {
    let size = if ctx.quick { 20_000 } else { 200_000 };
    let spec = ShareSpec {
        size,
        start_method: vec![
            StartMethod::Spawn,
            StartMethod::Forkserver,
            StartMethod::Fork,
        ],
        python: None,
        timeout: ctx.timeout,
    };
    let doc = crate::scenario::share::run(&spec)?;
    let row = |variant: &str, method: Option<&str>| {
        doc.results
            .iter()
            .find(|r| r.variant == variant && r.start_method == method)
    };
    let yes = |v: Option<bool>| v.map(|b| if b { 1.0 } else { 0.0 });
    let thread = row("thread", None);
    m.quantity(
        "thread_change_visible",
        yes(thread.and_then(|r| r.visible_in_parent)),
    );
    let processes: Vec<_> = doc
        .results
        .iter()
        .filter(|r| r.variant == "process")
        .collect();
    let any_visible = processes
        .iter()
        .filter_map(|r| r.visible_in_parent)
        .reduce(|a, b| a || b);
    m.quantity("process_change_visible", yes(any_visible));
    for sm in METHODS {
        let r = row("process", Some(sm));
        m.quantity(
            &format!("{sm}_pickled_kib"),
            r.and_then(|r| r.pickled_bytes).map(|b| b as f64 / 1024.0),
        );
        m.quantity(
            &format!("{sm}_copied_kib"),
            r.and_then(|r| r.child_copied_bytes)
                .map(|b| b as f64 / 1024.0),
        );
    }
    m.check(
        "thread_shares",
        None,
        thread.and_then(|r| r.visible_in_parent),
        "thread".into(),
    );
    m.check(
        "processes_copy",
        None,
        (!processes.is_empty())
            .then(|| processes.iter().all(|r| r.visible_in_parent == Some(false))),
        format!("{} start methods", processes.len()),
    );
    let mut bars = Vec::new();
    for sm in METHODS {
        if let Some(v) = m.value(&format!("{sm}_pickled_kib")) {
            bars.push((
                format!("{sm} pickled"),
                "pickled to start".to_string(),
                v.max(0.01),
            ));
        }
        if let Some(v) = m.value(&format!("{sm}_copied_kib")) {
            bars.push((
                format!("{sm} copied"),
                "copied by the child's writes".to_string(),
                v.max(0.01),
            ));
        }
    }
    m.charts.push(chart::bars(
        "copy-costs.svg",
        &format!("What a child process costs for a {size}-element list"),
        "KiB (log scale)",
        true,
        &bars,
    ));
    m.explanation = doc.verdict.clone();
    m.method.push(format!(
        "gilsim share --size {size} --start-method spawn,forkserver,fork"
    ));
    Ok(())
}

//! The source's import graph: layers only look down and no two modules import each other.
//!
//! Reads every `crate::…` path in `src/` (test modules excepted: a test may reach anywhere) and
//! checks it against the layers below, which the README's "How it works" states too.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may import its own layer and those below.
const LAYERS: &[&[&str]] = &[
    &[
        "sim",
        "paths",
        "usage",
        "usage_bail",
        "stats",
        "install",
        "files",
        "child_output",
    ],
    &["interpreters", "measure"],
    &["domain", "protocol"],
    &["embed", "native"],
    &["worker"],
    &["runner"],
    &["report"],
    &["scenario"],
    &["lab"],
    &["cli", "commands"],
    &["entry", "package"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// A module's path (`scenario::countdown::rows`) from its file.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its test module and comments.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap();
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a piece of code names from the crate root, with `super::` made absolute and
/// `use crate::a::{b, c::d}` spread out: `a::b`, `a::c::d`.
fn crate_paths(code: &str, parent: &[String]) -> Vec<Vec<String>> {
    let mut code = code.to_string();
    // `super::super::x` → `crate::<parent's parent>::x`
    for depth in (1..=4).rev() {
        let pattern = "super::".repeat(depth);
        let keep = parent.len().saturating_sub(depth - 1);
        let absolute: String = std::iter::once("crate::".to_string())
            .chain(parent[..keep].iter().map(|p| format!("{p}::")))
            .collect();
        code = code.replace(&pattern, &absolute);
    }
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `gilsim_crate::` and the like
        }
        spread(rest, Vec::new(), &mut paths);
    }
    paths
}

/// Reads one path (or brace group) at the start of `text` after `prefix`.
fn spread(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = text;
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            if let Some(inner) = rest.strip_prefix('{') {
                for item in split_group(inner) {
                    spread(item.trim(), path.clone(), out);
                }
                return;
            }
            break;
        }
        path.push(name.clone());
        rest = &rest[name.len()..];
        match rest.strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// The top-level items of a brace group, up to its closing brace.
fn split_group(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&text[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

struct Graph {
    /// Each module and the modules it names (the longest known module of each path).
    edges: BTreeMap<String, BTreeSet<String>>,
}

/// The graph of `(module path, source text)` pairs.
fn graph_of(files: &[(Vec<String>, String)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.join("::")).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in files {
        let me = module.join("::");
        // `super::` in `a/b.rs` and in `a/b/mod.rs` alike names `a`.
        let parent = module[..module.len().saturating_sub(1)].to_vec();
        let targets = edges.entry(me.clone()).or_default();
        for path in crate_paths(&code_of(text), &parent) {
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].join("::"))
                .find(|candidate| modules.contains(candidate))
                .unwrap_or_else(|| path[0].clone());
            // A module naming itself or its own ancestors (a child using its parent's items)
            // is Rust's module tree, not an import between modules.
            if target != me && !me.starts_with(&format!("{target}::")) {
                targets.insert(target);
            }
        }
    }
    Graph { edges }
}

/// Imports from a lower layer up to a higher one, as "from → to".
fn upward(graph: &Graph) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in &graph.edges {
        let from_top = from.split("::").next().unwrap_or("");
        let Some(from_layer) = layer_of(from_top) else {
            found.push(format!("{from}: its module `{from_top}` has no layer"));
            continue;
        };
        for to in targets {
            let to_top = to.split("::").next().unwrap();
            match layer_of(to_top) {
                Some(to_layer) if to_layer <= from_layer => {}
                Some(_) => found.push(format!("{from} → {to}")),
                None => found.push(format!("{from} → {to}: `{to_top}` has no layer")),
            }
        }
    }
    found
}

/// Groups of modules that import each other, directly or around a circle (Tarjan).
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        for w in s.graph.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let at = s.stack.iter().position(|x| *x == v).unwrap();
            let group: Vec<String> = s.stack.drain(at..).map(str::to_string).collect();
            if group.len() > 1 {
                s.found.push(group);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.edges.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn source_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(Vec<String>, String)> = paths
        .iter()
        .map(|p| (module_of(&src, p), std::fs::read_to_string(p).unwrap()))
        .filter(|(module, _)| !module.is_empty())
        .collect();
    assert!(files.len() > 100, "read {} files", files.len());
    graph_of(&files)
}

#[test]
fn layers_only_import_downward() {
    let graph = source_graph();
    let found = upward(&graph);
    assert!(
        found.is_empty(),
        "imports up a layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let found = circles(&source_graph());
    assert!(found.is_empty(), "circles: {found:?}");
}

/// The checks themselves, on a made-up tree with one import up and one circle.
#[test]
fn the_checks_find_an_upward_import_and_a_circle() {
    let file = |module: &str, text: &str| {
        (
            module.split("::").map(str::to_string).collect::<Vec<_>>(),
            text.to_string(),
        )
    };
    let graph = graph_of(&[
        file("measure", "pub mod a;\npub mod b;"),
        file(
            "measure::a",
            "use super::b::X;\nuse crate::{report::Y, stats};",
        ),
        file(
            "measure::b",
            "use crate::measure::a::Z; // crate::scenario in a comment",
        ),
        file("report", "use crate::domain::{Row, Cell};"),
        file("stats", ""),
        file("domain", "#[cfg(test)]\nmod tests { use crate::cli::X; }"),
    ]);
    assert_eq!(
        graph.edges["measure::a"],
        ["measure::b", "report", "stats"]
            .map(str::to_string)
            .into_iter()
            .collect()
    );
    assert_eq!(upward(&graph), vec!["measure::a → report".to_string()]);
    assert_eq!(
        circles(&graph),
        vec![vec!["measure::a".to_string(), "measure::b".to_string()]]
    );
}

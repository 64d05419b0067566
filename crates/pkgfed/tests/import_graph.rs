//! The import graph of `crates/pkgfed/src` points one way: no module imports a module
//! that imports it back (directly or around a loop), and no top-level module imports
//! one of a higher layer (see [`LAYERS`] and the crate docs).
//!
//! The graph is read from the source files, not the compiler: an edge `a → b` is a
//! `crate::b…` path, a `super::…` path, or a path through one of `a`'s own child
//! modules (`child::item`) in `a`'s file, up to its `#[cfg(test)]` part (tests may
//! reach anywhere). A child using its parent (`super::Type`, or `crate::parent::Type`)
//! is not an edge: a parent module is its children's shared vocabulary, and the
//! parent naming its children is the ordinary direction. Run with
//! `PKGFED_PRINT_GRAPH=1` to print the top-level graph.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom layer up. A module may import only modules of
/// its own layer or of lower layers, and (by the cycle check) never in a loop.
const LAYERS: &[&[&str]] = &[
    // Foundations: time, errors, configuration, events, storage, the shutdown switch,
    // telemetry (log output, the metrics recorder).
    &[
        "clock",
        "microcache",
        "error",
        "config",
        "events",
        "broker",
        "store",
        "shutdown",
        "telemetry",
    ],
    // Building blocks: keys and signers, registries, documents, package actors, and
    // the outbound path (outbox, queue worker) every sender uses.
    &[
        "signing",
        "registries",
        "federation",
        "packages",
        "outbound",
    ],
    // Subsystems: the inbound pipeline, posts, registry watching.
    &["inbound", "posts", "watch"],
    // HTTP: handlers on a web-side state holding the subsystems' contexts.
    &["web"],
    // Wiring: builds every subsystem and hands each its context.
    &["app"],
    // Entry points: the process runner and the command line.
    &["server", "cli"],
];

type Module = Vec<String>;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every module file, by module path (`[]` is `lib.rs`).
fn modules() -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut p = prefix.to_vec();
                if name != "mod" && !(prefix.is_empty() && name == "lib") {
                    p.push(name);
                }
                out.insert(p, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src_dir(), &[], &mut out);
    // The binary is not part of the library's graph.
    out.remove(&vec!["main".to_owned()]);
    out
}

/// The source up to the first `#[cfg(test)]`, with line comments removed.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let line = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every path `head::a::b…` in `code` (also `head::{a, b::c}` groups, one level).
fn paths(code: &str, head: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let pat = format!("{head}::");
    let mut rest = code;
    while let Some(i) = rest.find(&pat) {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + pat.len()..];
        rest = after;
        if before.is_some_and(|c| ident(c) || c == ':') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            // Split at the group's top-level commas; a nested group counts as its
            // head (`store::{self, Package}` is `store`).
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.extend(head_path(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            found.extend(head_path(&item));
            continue;
        }
        let mut segs = Vec::new();
        let mut s = after;
        loop {
            let end = s.find(|c: char| !ident(c)).unwrap_or(s.len());
            if end == 0 {
                break;
            }
            segs.push(s[..end].to_owned());
            match s[end..].strip_prefix("::") {
                Some(next) => s = next,
                None => break,
            }
        }
        if !segs.is_empty() {
            found.push(segs);
        }
    }
    found
}

/// The plain path at the start of `item` (`a::b` of `a::b::{c, d}` or `a::b as c`).
fn head_path(item: &str) -> Option<Vec<String>> {
    let segs: Vec<String> = item
        .trim()
        .split("::")
        .map(|s| s.trim().to_owned())
        .take_while(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .collect();
    (!segs.is_empty()).then_some(segs)
}

/// The module a path from the crate root names: its longest prefix that is a module.
fn resolve(mods: &BTreeMap<Module, PathBuf>, path: &[String]) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| mods.contains_key(m))
}

/// The edges of the file-level graph, child-to-ancestor edges left out.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let mods = modules();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, file) in &mods {
        let code = code(file);
        let mut targets = Vec::new();
        for p in paths(&code, "crate") {
            targets.extend(resolve(&mods, &p));
        }
        // `super` of `a/b.rs` (module a::b) and of `a/b/mod.rs` (also a::b) is `a`.
        if !module.is_empty() {
            let parent = &module[..module.len() - 1];
            for p in paths(&code, "super") {
                let full: Vec<String> = parent.iter().cloned().chain(p).collect();
                targets.extend(resolve(&mods, &full));
            }
        }
        // Paths through the module's own children (`parse::parse(…)`).
        for child in mods.keys().filter(|m| m.len() == module.len() + 1) {
            if child[..module.len()] != module[..] {
                continue;
            }
            for p in paths(&code, child.last().unwrap()) {
                let full: Vec<String> = child.iter().cloned().chain(p).collect();
                targets.extend(resolve(&mods, &full));
            }
        }
        let set = edges.entry(module.clone()).or_default();
        for t in targets {
            let ancestor = t.len() < module.len() && module[..t.len()] == t[..];
            if t != *module && !ancestor {
                set.insert(t);
            }
        }
    }
    edges
}

/// A cycle in `edges`, as the list of its nodes, if there is one.
fn find_cycle<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        n: &N,
        edges: &BTreeMap<N, BTreeSet<N>>,
        state: &mut BTreeMap<N, bool>,
        stack: &mut Vec<N>,
    ) -> Option<Vec<N>> {
        match state.get(n) {
            Some(true) => return None,
            Some(false) => {
                let start = stack.iter().position(|m| m == n).unwrap();
                let mut cycle = stack[start..].to_vec();
                cycle.push(n.clone());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(n.clone(), false);
        stack.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.clone(), true);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn show(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

fn top_level(edges: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<String, BTreeSet<String>> {
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in edges {
        let Some(a) = from.first() else { continue };
        for to in tos {
            if let Some(b) = to.first().filter(|b| *b != a) {
                top.entry(a.clone()).or_default().insert(b.clone());
            }
        }
    }
    top
}

#[test]
fn the_module_graph_has_no_cycle() {
    let edges = graph();
    assert!(edges.len() > 50, "the source files were not found");
    if let Some(cycle) = find_cycle(&edges) {
        let shown: Vec<String> = cycle.iter().map(show).collect();
        panic!("import cycle: {}", shown.join(" → "));
    }
}

#[test]
fn top_level_modules_import_only_their_layer_or_below() {
    let edges = graph();
    let top = top_level(&edges);
    if std::env::var_os("PKGFED_PRINT_GRAPH").is_some() {
        for (a, bs) in &top {
            println!(
                "{a} → {}",
                bs.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let layer = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    let mut problems = Vec::new();
    for (a, bs) in &top {
        let Some(la) = layer(a) else {
            problems.push(format!("`{a}` is in no layer: add it to LAYERS"));
            continue;
        };
        for b in bs {
            match layer(b) {
                Some(lb) if lb > la => {
                    // Name the files, so the fix is obvious.
                    let files: Vec<String> = edges
                        .iter()
                        .filter(|(f, _)| f.first() == Some(a))
                        .flat_map(|(f, ts)| {
                            ts.iter()
                                .filter(|t| t.first() == Some(b))
                                .map(move |t| format!("{} → {}", show(f), show(t)))
                        })
                        .collect();
                    problems.push(format!(
                        "upward import {a} (layer {la}) → {b} (layer {lb}): {}",
                        files.join("; ")
                    ));
                }
                Some(_) => {}
                None => problems.push(format!("`{b}` is in no layer: add it to LAYERS")),
            }
        }
    }
    if let Some(cycle) = find_cycle(&top) {
        problems.push(format!("top-level import cycle: {}", cycle.join(" → ")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle_and_its_paths() {
    // The reader finds plain, grouped and nested paths…
    let code = "use crate::{store::{self, Package}, events::Event};\nlet x = crate::outbound::outbox::send(s);";
    let mut found = paths(code, "crate");
    found.sort();
    assert_eq!(
        found,
        vec![
            vec!["events".to_owned(), "Event".to_owned()],
            vec![
                "outbound".to_owned(),
                "outbox".to_owned(),
                "send".to_owned()
            ],
            vec!["store".to_owned()],
        ]
    );
    // …and the search reports a loop.
    let mut g: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    g.entry("a").or_default().insert("b");
    g.entry("b").or_default().insert("c");
    g.entry("c").or_default().insert("a");
    assert_eq!(find_cycle(&g), Some(vec!["a", "b", "c", "a"]));
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
}

//! The rules themselves: `ARCHITECTURE.md`'s layers and module table as written, and every
//! way a library file can break them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use crate::source::{absolute_paths, ident, root, Source};

/// `ARCHITECTURE.md`'s layers, lowest first: the modules each names in backticks before its
/// dash.
pub fn layers() -> Vec<Vec<String>> {
    section("Layers")
        .lines()
        .filter(|line| {
            let digits = line.trim_start().split('.').next().unwrap();
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        })
        .map(|line| {
            let names = line.split(" — ").next().unwrap();
            names
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The files `ARCHITECTURE.md`'s "Modules" table names, relative to `src/`.
pub fn module_table() -> Vec<String> {
    section("Modules")
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect()
}

fn section(title: &str) -> String {
    let doc = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    doc.split("\n## ")
        .find(|s| s.starts_with(title))
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has a \"## {title}\" section"))
        .to_string()
}

/// The node of a module's own file (`mod.rs`) among its children's.
const OWN_FILE: &str = "(mod.rs)";

/// What is wrong with `sources` against `layers`: one line per broken rule.
pub fn problems(sources: &[Source], layers: &[Vec<String>]) -> Vec<String> {
    let mut problems = Vec::new();
    let layer_of: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (n.as_str(), i)))
        .collect();
    let modules: BTreeSet<&[String]> = sources.iter().map(|s| s.module.as_slice()).collect();
    let top_level: BTreeSet<&str> = modules
        .iter()
        .filter_map(|m| m.first().map(String::as_str))
        .collect();
    for name in &top_level {
        if layers.iter().flatten().filter(|n| n == name).count() != 1 {
            problems.push(format!("module `{name}` is not in exactly one layer"));
        }
    }
    for name in layer_of.keys() {
        if !top_level.contains(name) {
            problems.push(format!("a layer names `{name}`, which src/ does not have"));
        }
    }

    // Edges between the files of one module: (module, from, to), its own file `OWN_FILE`.
    let mut edges: BTreeSet<(Vec<String>, String, String)> = BTreeSet::new();
    for source in sources {
        problems.extend(hidden_paths(source));
        let Some(top) = source.module.first() else {
            continue; // lib.rs: the root declares and re-exports everything
        };
        let children: BTreeSet<String> = modules
            .iter()
            .filter(|m| m.len() == source.module.len() + 1 && m.starts_with(&source.module))
            .map(|m| m.last().unwrap().clone())
            .collect();
        for (path, re_export) in absolute_paths(source, &children) {
            let shown = format!("crate::{}", path.join("::"));
            let target = &path[0];
            if target != top {
                let to = top_level
                    .contains(target.as_str())
                    .then(|| layer_of.get(target.as_str()))
                    .flatten();
                match (layer_of.get(top.as_str()), to) {
                    (Some(f), Some(t)) if t < f => {}
                    (Some(_), Some(_)) => problems.push(format!(
                        "{}: uses `{shown}`, of a layer not below `{top}`'s",
                        source.path
                    )),
                    (Some(_), None) => problems.push(format!(
                        "{}: uses `{shown}` through the crate root's re-exports: name the module",
                        source.path
                    )),
                    (None, _) => {}
                }
                continue;
            }
            let shared = source
                .module
                .iter()
                .zip(&path)
                .take_while(|(a, b)| a == b)
                .count();
            if shared == source.module.len() {
                // Into the file's own module: a parent's file naming a child (not re-exporting it).
                if source.is_parent
                    && !re_export
                    && shared < path.len()
                    && children.contains(&path[shared])
                {
                    edges.insert((source.module.clone(), OWN_FILE.into(), path[shared].clone()));
                }
                continue;
            }
            if shared >= path.len() {
                continue;
            }
            let parent = path[..shared].to_vec();
            let (from, to) = (source.module[shared].clone(), path[shared].clone());
            if modules.contains([parent.clone(), vec![to.clone()]].concat().as_slice()) {
                edges.insert((parent, from, to));
            } else if defines(sources, &parent, &to) {
                edges.insert((parent, from, OWN_FILE.into()));
            } else {
                problems.push(format!(
                    "{}: uses `{shown}`, which `{}` re-exports but does not define: name the file that does",
                    source.path,
                    parent.join("::")
                ));
            }
        }
    }
    for cycle in cycles(&edges) {
        problems.push(format!("files use each other in a cycle: {cycle}"));
    }

    for source in sources {
        let writer = source.module == ["engine", "write"]
            || source.module.first().is_some_and(|m| m == "log");
        if writer || !source.code.contains("ournal") {
            continue;
        }
        // The journal's appending methods, as a method or a path call.
        for call in [
            "append(",
            "append_decision(",
            "start_chain(",
            "checkpoint(",
            "seal_now(",
            "compact::<",
        ] {
            let called = [".", "::"]
                .iter()
                .any(|sep| source.code.contains(&format!("{sep}{call}")));
            if called {
                problems.push(format!(
                    "{}: calls the journal's `{}`: only `engine/write.rs` writes records",
                    source.path,
                    call.trim_end_matches(['(', ':', '<'])
                ));
            }
        }
    }
    problems
}

/// Ways of naming a module that the rules could not see: a renamed crate, a module from
/// another file or folder, macros, glob imports of the crate's own modules.
fn hidden_paths(source: &Source) -> Vec<String> {
    let code = &source.code;
    let mut found = Vec::new();
    for (needle, why) in [
        ("crate as ", "renames the crate"),
        ("extern crate", "declares an extern crate"),
        ("#[path", "takes a module from another path"),
        ("#[macro_use", "imports macros by textual scope"),
        (
            "macro_rules!",
            "defines a macro (its expansion names paths the rules cannot see)",
        ),
    ] {
        if code.contains(needle) {
            found.push(format!("{}: {why} (`{needle}`)", source.path));
        }
    }
    for (at, _) in code.match_indices("use ") {
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let statement = &code[at + 4..];
        let statement = &statement[..statement.find(';').unwrap_or(statement.len())];
        let first = ident(statement.trim_start());
        if matches!(first, "crate" | "super" | "self") && statement.contains('*') {
            found.push(format!(
                "{}: a glob import of the crate's own modules (`use {}`) hides what it uses",
                source.path,
                statement.trim()
            ));
        }
    }
    found
}

/// Whether the parent module's own file defines `name` (rather than re-exporting it).
fn defines(sources: &[Source], parent: &[String], name: &str) -> bool {
    let Some(file) = sources.iter().find(|s| s.module == parent && s.is_parent) else {
        return false;
    };
    ["struct", "enum", "fn", "const", "static", "trait", "type"]
        .iter()
        .any(|kind| {
            file.code
                .match_indices(&format!("{kind} {name}"))
                .any(|(at, m)| {
                    let after = file.code[at + m.len()..].chars().next();
                    !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
        })
}

/// Each cycle among the files of one module, as `module: a → b → a`.
fn cycles(edges: &BTreeSet<(Vec<String>, String, String)>) -> Vec<String> {
    let mut found = Vec::new();
    let parents: BTreeSet<&Vec<String>> = edges.iter().map(|(p, _, _)| p).collect();
    for parent in parents {
        let graph: BTreeMap<&str, Vec<&str>> = edges.iter().filter(|(p, _, _)| p == parent).fold(
            BTreeMap::new(),
            |mut g, (_, a, b)| {
                g.entry(a.as_str())
                    .or_insert_with(Vec::new)
                    .push(b.as_str());
                g
            },
        );
        let mut seen = BTreeSet::new();
        for &start in graph.keys() {
            let mut stack = vec![(start, vec![start])];
            while let Some((node, path)) = stack.pop() {
                for &next in graph.get(node).into_iter().flatten() {
                    if next == start {
                        let mut members = path.clone();
                        members.sort();
                        if seen.insert(members) {
                            let name = if parent.is_empty() {
                                "crate".to_string()
                            } else {
                                parent.join("::")
                            };
                            found.push(format!("{name}: {} → {start}", path.join(" → ")));
                        }
                    } else if !path.contains(&next) {
                        stack.push((next, [path.clone(), vec![next]].concat()));
                    }
                }
            }
        }
    }
    found
}

//! The architecture's import rules, checked against the source: `ARCHITECTURE.md`'s "Layers"
//! section is read as written, and every `crate::…` and `super::…` path in `src/` (the CLI and
//! test code aside) is held to it.
//!
//! The rules (each MUST, each checked here):
//! - a module uses only modules of lower layers: none of a layer above, none of its own;
//! - every module of `src/` is in exactly one layer, and every module a layer names exists;
//! - the files of one module never use each other in a cycle;
//! - a file names a sibling's item by the sibling's path (`super::journal::Journal`), never
//!   through its parent's re-exports, which would hide the edge;
//! - only the engine's write path writes to the journal (records, checkpoints, seals, cuts);
//! - the "Modules" table lists exactly the library's files, one row each.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A source file of the library, with the code that is not test code.
struct Source {
    /// The module path: `["log", "journal"]` for `src/log/journal.rs`, `["log"]` for
    /// `src/log/mod.rs`, `[]` for `src/lib.rs`.
    module: Vec<String>,
    /// Whether it is a `mod.rs` (or `lib.rs`): a module with children.
    is_parent: bool,
    /// The file, relative to the repository.
    path: String,
    /// Its code, comments and `#[cfg(test)]` modules removed.
    code: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every library file under `src/` (not `src/bin/`), without the files that only tests build.
fn sources() -> Vec<Source> {
    let mut files = Vec::new();
    collect(&root().join("src"), &mut files);
    let mut sources: Vec<Source> = files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(root().join("src")).unwrap();
            let mut module: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            let is_parent = matches!(module.last().map(String::as_str), Some("mod" | "lib"));
            if is_parent {
                module.pop();
            }
            let text = fs::read_to_string(&file).unwrap();
            Source {
                module,
                is_parent,
                path: format!("src/{}", relative.display()),
                code: without_tests(&without_comments(&text)),
            }
        })
        .collect();
    let test_only: BTreeSet<Vec<String>> = sources
        .iter()
        .flat_map(|s| {
            test_only_children(&fs::read_to_string(root().join(&s.path)).unwrap())
                .into_iter()
                .map(|child| [s.module.clone(), vec![child]].concat())
        })
        .collect();
    sources.retain(|s| !test_only.contains(&s.module));
    sources
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().unwrap() != "bin" {
                collect(&path, files);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
}

/// The code without `//` comments (doc comments name paths they do not use).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The code without its inline `#[cfg(test)] mod … { … }` blocks.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        if trimmed.starts_with("mod ") && trimmed[..trimmed.find(['{', ';']).unwrap()].len() < 80 {
            if let Some(open) = trimmed.find('{').filter(|&o| !trimmed[..o].contains(';')) {
                let end = matching_brace(&trimmed[open..]) + open;
                rest = &trimmed[end + 1..];
                continue;
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The children a file declares only for tests (`#[cfg(test)] mod tests;`).
fn test_only_children(text: &str) -> Vec<String> {
    let mut children = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == "#[cfg(test)]" {
            if let Some(decl) = lines.next() {
                if let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) {
                    children.push(name.to_string());
                }
            }
        }
    }
    children
}

/// The index of the `}` that closes the `{` at the start of `text`.
fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces")
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Every path that follows `prefix` (`crate::` or `super::`) in `code`, as its segments up to
/// the item: `crate::{a::B, c}` gives `[a, B]` and `[c]`.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        from = start + prefix.len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `self::super::`, `foo_crate::`: not this prefix
        }
        paths.extend(tree(&code[from..]));
    }
    paths
}

/// The paths of a use tree: `a::b::C`, `a::{b, c::D}`, `{a, b}`.
fn tree(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start();
    if text.starts_with('{') {
        let end = matching_brace(text);
        return split_top_level(&text[1..end])
            .into_iter()
            .flat_map(tree)
            .collect();
    }
    let name = ident(text);
    if name.is_empty() {
        return Vec::new();
    }
    let tails = match text[name.len()..].strip_prefix("::") {
        Some(more) => tree(more),
        None => Vec::new(),
    };
    if tails.is_empty() {
        return vec![vec![name.to_string()]];
    }
    tails
        .into_iter()
        .map(|tail| [vec![name.to_string()], tail].concat())
        .collect()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items.into_iter().filter(|i| !i.trim().is_empty()).collect()
}

/// `ARCHITECTURE.md`'s layers, lowest first: the modules each names in backticks before its
/// dash.
fn layers() -> Vec<Vec<String>> {
    let doc = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .expect("ARCHITECTURE.md has a \"## Layers\" section");
    section
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

/// What is wrong with `sources` against `layers`: one line per broken rule.
fn problems(sources: &[Source], layers: &[Vec<String>]) -> Vec<String> {
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

    // Edges between the files of one module: (parent, from child, to child).
    let mut sibling_edges: BTreeSet<(Vec<String>, String, String)> = BTreeSet::new();
    for source in sources {
        let Some(top) = source.module.first() else {
            continue; // lib.rs: the root re-exports everything
        };
        for path in paths_after(&source.code, "crate::") {
            let target = &path[0];
            if target == top {
                // Inside one top-level module: an edge between sibling files, if it is one.
                let shared = source
                    .module
                    .iter()
                    .zip(&path)
                    .take_while(|(a, b)| a == b)
                    .count();
                if shared < source.module.len() && shared < path.len() {
                    let parent = path[..shared].to_vec();
                    let to = &path[shared];
                    if modules.contains([parent.clone(), vec![to.clone()]].concat().as_slice()) {
                        sibling_edges.insert((parent, source.module[shared].clone(), to.clone()));
                    } else if !defines(sources, &parent, to) {
                        problems.push(format!(
                            "{}: uses `crate::{}`, which `{}` re-exports but does not define: name the file that does",
                            source.path,
                            path.join("::"),
                            parent.join("::")
                        ));
                    }
                }
                continue;
            }
            let from = layer_of.get(top.as_str());
            let to = if top_level.contains(target.as_str()) {
                layer_of.get(target.as_str())
            } else {
                None // an item re-exported at the root: the top of the crate
            };
            match (from, to) {
                (Some(f), Some(t)) if t < f => {}
                (Some(_), Some(_)) => problems.push(format!(
                    "{}: uses `crate::{}`, of a layer not below `{top}`'s",
                    source.path,
                    path.join("::")
                )),
                (Some(_), None) => problems.push(format!(
                    "{}: uses `crate::{}` through the crate root's re-exports: name the module",
                    source.path,
                    path.join("::")
                )),
                (None, _) => {}
            }
        }
        for path in paths_after(&source.code, "super::") {
            let mut parent = source.module.clone();
            parent.pop();
            let name = &path[0];
            let sibling = [parent.clone(), vec![name.clone()]].concat();
            let this = source.module.last().unwrap().clone();
            if modules.contains(sibling.as_slice()) {
                if *name != this {
                    sibling_edges.insert((parent, this, name.clone()));
                }
            } else if !defines(sources, &parent, name) {
                problems.push(format!(
                    "{}: uses `super::{}`, which `{}` re-exports but does not define: name the sibling that does",
                    source.path,
                    path.join("::"),
                    if parent.is_empty() { "lib".into() } else { parent.join("::") }
                ));
            }
        }
    }
    for cycle in cycles(&sibling_edges) {
        problems.push(format!("files use each other in a cycle: {cycle}"));
    }

    for source in sources {
        let writes = [
            ".append(",
            ".append_decision(",
            ".start_chain(",
            ".checkpoint(",
            ".seal_now(",
            ".compact::<",
        ];
        let writer = source.module == ["engine", "write"]
            || source.module.first().is_some_and(|m| m == "log");
        if !writer && source.code.contains("journal") {
            for call in writes {
                if source.code.contains(call) {
                    problems.push(format!(
                        "{}: calls the journal's `{}`: only `engine/write.rs` writes to the journal",
                        source.path,
                        call.trim_matches(['.', '('])
                    ));
                }
            }
        }
    }
    problems
}

/// Whether the parent module's own file defines `name` (rather than re-exporting it).
fn defines(sources: &[Source], parent: &[String], name: &str) -> bool {
    let Some(file) = sources.iter().find(|s| s.module == parent && s.is_parent) else {
        return false;
    };
    [
        "struct",
        "enum",
        "fn",
        "const",
        "static",
        "trait",
        "type",
        "macro_rules!",
    ]
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

/// Each cycle among the files of one module, as `parent: a → b → a`.
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

/// The files `ARCHITECTURE.md`'s "Modules" table names, relative to `src/`.
fn module_table() -> Vec<String> {
    let doc = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Modules"))
        .expect("ARCHITECTURE.md has a \"## Modules\" section");
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn architecture_md_lists_every_file_of_the_library_once() {
    let mut files = Vec::new();
    collect(&root().join("src"), &mut files);
    let files: BTreeSet<String> = files
        .iter()
        .map(|f| {
            let relative = f.strip_prefix(root().join("src")).unwrap();
            relative.display().to_string()
        })
        .collect();
    let table = module_table();
    let listed: BTreeSet<String> = table.iter().cloned().collect();
    assert_eq!(listed.len(), table.len(), "a file is listed twice");
    let missing: Vec<_> = files.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&files).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "ARCHITECTURE.md's module table is out of date: not listed {missing:?}, no such file {stale:?}"
    );
}

#[test]
fn the_library_keeps_the_layers_architecture_md_writes_down() {
    let problems = problems(&sources(), &layers());
    assert!(
        problems.is_empty(),
        "ARCHITECTURE.md's rules are broken:\n{}",
        problems.join("\n")
    );
}

/// Builds sources from `(path, code)` pairs, as `sources()` would from files.
fn fake(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(path, code)| {
            let mut module: Vec<String> = path
                .trim_end_matches(".rs")
                .split('/')
                .map(String::from)
                .collect();
            let is_parent = matches!(module.last().map(String::as_str), Some("mod" | "lib"));
            if is_parent {
                module.pop();
            }
            Source {
                module,
                is_parent,
                path: format!("src/{path}"),
                code: without_tests(&without_comments(code)),
            }
        })
        .collect()
}

fn layered(names: &[&[&str]]) -> Vec<Vec<String>> {
    names
        .iter()
        .map(|l| l.iter().map(|s| s.to_string()).collect())
        .collect()
}

#[test]
fn an_upward_or_sideways_import_is_caught_and_a_downward_one_is_not() {
    let layers = layered(&[&["model"], &["log", "rules"], &["engine"]]);
    let good = [
        ("model.rs", ""),
        ("log/mod.rs", "use crate::model::Feature;"),
        ("rules/mod.rs", "use crate::{model::{Feature, Actor}};"),
        (
            "engine/mod.rs",
            "use crate::log::Journal; fn f() { crate::rules::decide(); }",
        ),
    ];
    assert_eq!(problems(&fake(&good), &layers), Vec::<String>::new());

    let mut upward = good;
    upward[1] = ("log/mod.rs", "use crate::{model::Feature, engine::Engine};");
    let found = problems(&fake(&upward), &layers);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("src/log/mod.rs") && found[0].contains("crate::engine::Engine"));

    let mut sideways = good;
    sideways[1] = ("log/mod.rs", "fn f() -> crate::rules::State { todo!() }");
    assert_eq!(
        problems(&fake(&sideways), &layers).len(),
        1,
        "the log never imports the rules"
    );

    let mut in_a_test = good;
    in_a_test[1] = ("log/mod.rs", "#[cfg(test)]\nmod tests {\n    use crate::engine::Engine;\n}\n// crate::engine in a comment\n");
    assert_eq!(
        problems(&fake(&in_a_test), &layers),
        Vec::<String>::new(),
        "test code and comments are not the library's imports"
    );

    let mut through_root = good;
    through_root[3] = ("engine/mod.rs", "use crate::ConsentStore;");
    assert_eq!(
        problems(&fake(&through_root), &layers).len(),
        1,
        "the root's re-exports are the top"
    );
}

#[test]
fn a_cycle_between_files_or_a_sibling_reached_through_a_re_export_is_caught() {
    let layers = layered(&[&["log"]]);
    let base = [
        (
            "log/mod.rs",
            "mod seal; mod replay; pub(crate) use seal::Keys; pub(crate) struct Journal;",
        ),
        ("log/seal.rs", "pub struct Keys;"),
        (
            "log/replay.rs",
            "use super::seal::Keys; use super::Journal;",
        ),
    ];
    assert_eq!(problems(&fake(&base), &layers), Vec::<String>::new());

    let mut cycle = base;
    cycle[1] = ("log/seal.rs", "use super::replay::Replay; pub struct Keys;");
    let found = problems(&fake(&cycle), &layers);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("cycle") && found[0].contains("replay") && found[0].contains("seal"));

    let mut by_crate_path = base;
    by_crate_path[1] = (
        "log/seal.rs",
        "fn f(_: crate::log::replay::Replay) {} pub struct Keys;",
    );
    assert_eq!(
        problems(&fake(&by_crate_path), &layers).len(),
        1,
        "a crate:: path between siblings is an edge too"
    );

    let mut hidden = base;
    hidden[2] = ("log/replay.rs", "use super::{Journal, Keys};");
    let found = problems(&fake(&hidden), &layers);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("super::Keys"));
}

#[test]
fn every_module_is_in_one_layer_and_only_the_write_path_appends() {
    let layers = layered(&[&["model", "gone"], &["engine"]]);
    let files = [
        ("model.rs", ""),
        ("engine/mod.rs", ""),
        ("engine/write.rs", "fn f(j: &mut J) { journal.append(x); }"),
        (
            "engine/restart.rs",
            "fn g() { core.journal.start_chain(x); }",
        ),
        ("extra.rs", ""),
    ];
    let found = problems(&fake(&files), &layers);
    assert!(
        found
            .iter()
            .any(|p| p.contains("`extra` is not in exactly one layer")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("`gone`, which src/ does not have")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("engine/restart.rs") && p.contains("start_chain")),
        "{found:?}"
    );
    assert_eq!(found.len(), 3, "{found:?}");
}

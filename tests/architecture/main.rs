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
//! - nothing names a module in a way these rules cannot see (a renamed crate, `#[path]`,
//!   macros, glob imports of the crate's own modules);
//! - only the engine's write path writes records (the journal's appending methods are called
//!   from `engine/write.rs` alone);
//! - the "Modules" table lists exactly the library's files, one row each.

mod rules;
mod source;

use std::collections::BTreeSet;

use rules::{layers, module_table, problems};
use source::{library_files, sources, Source};

#[test]
fn architecture_md_lists_every_file_of_the_library_once() {
    let files: BTreeSet<String> = library_files().into_iter().collect();
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
        .map(|(path, code)| Source::new(path, code))
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
    assert!(found[0].contains("crate::log::Keys"), "{found:?}");
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
        (
            "engine/retention.rs",
            "fn h(journal: &mut Journal) { Journal::checkpoint(journal, s, t); }",
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
    assert!(
        found
            .iter()
            .any(|p| p.contains("engine/retention.rs") && p.contains("checkpoint")),
        "a path call is a call: {found:?}"
    );
    assert_eq!(found.len(), 4, "{found:?}");
}

#[test]
fn a_module_named_any_other_way_is_caught() {
    let layers = layered(&[&["model"], &["log"], &["engine"]]);
    let base = [
        ("model.rs", ""),
        (
            "log/mod.rs",
            "mod seal; mod replay; pub(crate) use replay::Replay;",
        ),
        ("log/seal.rs", "pub struct Keys;"),
        ("log/replay.rs", "use super::seal::Keys; pub struct Replay;"),
        ("engine/mod.rs", "pub struct Engine;"),
    ];
    assert_eq!(problems(&fake(&base), &layers), Vec::<String>::new());
    for (file, code, expected) in [
        ("model.rs", "fn t(_: &super::engine::Engine) {}", "crate::engine::Engine"),
        ("log/mod.rs", "mod seal; mod replay; fn t(_: &super::engine::Engine) {}", "crate::engine::Engine"),
        ("log/seal.rs", "fn t(_: &self::super::super::engine::Engine) {} pub struct Keys;", "crate::engine::Engine"),
        ("log/seal.rs", "use crate as c; pub struct Keys;", "renames the crate"),
        ("log/seal.rs", "extern crate self as ck; pub struct Keys;", "extern crate"),
        ("log/seal.rs", "use super::*; pub struct Keys;", "glob import"),
        ("log/seal.rs", "#[path = \"x.rs\"] mod x; pub struct Keys;", "another path"),
        ("log/seal.rs", "macro_rules! e { () => { crate::engine::Engine } } pub struct Keys;", "defines a macro"),
        ("log/seal.rs", "#[cfg(test)] mod t { const O: char = '{'; }\nfn t(_: &crate::engine::Engine) {}\nconst C: char = '}'; pub struct Keys;", "crate::engine::Engine"),
        ("log/seal.rs", "fn t() -> usize { size_of::</* // */ crate::engine::Engine>() } pub struct Keys;", "crate::engine::Engine"),
        ("log/seal.rs", "fn t(_: &crate :: engine :: Engine) {} pub struct Keys;", "crate::engine::Engine"),
        ("log/seal.rs", "fn t() -> &'static str { \"crate::engine\" } fn u(_: &crate::engine::Engine) {} pub struct Keys;", "crate::engine::Engine"),
        // The parent's own code naming a child hides no edge: seal → log's file → replay → seal.
        ("log/mod.rs", "mod seal; mod replay; pub(crate) type ReplayOf = replay::Replay;", "cycle"),
    ] {
        let mut files = base;
        let at = files.iter().position(|(f, _)| *f == file).unwrap();
        files[at] = (file, code);
        if file == "log/mod.rs" && expected == "cycle" {
            files[2] = ("log/seal.rs", "fn t(_: super::ReplayOf) {} pub struct Keys;");
        }
        let found = problems(&fake(&files), &layers);
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "{file}: {code}: expected a problem naming {expected:?}, found {found:?}"
        );
    }
}

#[test]
fn a_module_declared_for_tests_and_for_the_library_alike_is_the_librarys() {
    let layers = layered(&[&["log"], &["engine"]]);
    let files = [
        (
            "log/mod.rs",
            "#[cfg(test)]\nmod sneak;\n#[cfg(not(test))]\nmod sneak;",
        ),
        ("log/sneak.rs", "use crate::engine::Engine;"),
        ("engine/mod.rs", "pub struct Engine;"),
    ];
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    let sources = source::from_texts(&texts);
    let found = problems(&sources, &layers);
    assert!(
        found.iter().any(|p| p.contains("src/log/sneak.rs")),
        "{found:?}"
    );
}

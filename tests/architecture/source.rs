//! Reading the library's source as the import rules see it: each file's module path, its code
//! without comments, literals and test modules, and every path it names, made absolute.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// A source file of the library, with the code that is not test code.
pub struct Source {
    /// The module path: `["log", "journal"]` for `src/log/journal.rs`, `["log"]` for
    /// `src/log/mod.rs`, `[]` for `src/lib.rs`.
    pub module: Vec<String>,
    /// Whether it is a `mod.rs` (or `lib.rs`): a module with children.
    pub is_parent: bool,
    /// The file, relative to the repository.
    pub path: String,
    /// Its code: comments, string and character literals and `#[cfg(test)]` modules removed,
    /// and no space around `::`.
    pub code: String,
}

impl Source {
    /// A source from its path under `src/` and its text.
    pub fn new(relative: &str, text: &str) -> Source {
        let mut module: Vec<String> = relative
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
            path: format!("src/{relative}"),
            code: without_tests(&normalized(text)),
        }
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every library file under `src/` (not `src/bin/`), without the files only tests build.
pub fn sources() -> Vec<Source> {
    let texts: Vec<(String, String)> = library_files()
        .iter()
        .map(|relative| {
            let text = fs::read_to_string(root().join("src").join(relative)).unwrap();
            (relative.clone(), text)
        })
        .collect();
    from_texts(&texts)
}

/// Sources from `(path under src/, text)` pairs, without the files only tests build.
pub fn from_texts(texts: &[(String, String)]) -> Vec<Source> {
    let test_only: BTreeSet<Vec<String>> = texts
        .iter()
        .flat_map(|(relative, text)| {
            let parent = Source::new(relative, "").module;
            test_only_children(&normalized(text))
                .into_iter()
                .map(move |child| [parent.clone(), vec![child]].concat())
        })
        .collect();
    texts
        .iter()
        .map(|(relative, text)| Source::new(relative, text))
        .filter(|s| !test_only.contains(&s.module))
        .collect()
}

/// Every `.rs` file under `src/` but `src/bin/`, relative to `src/`.
pub fn library_files() -> Vec<String> {
    let mut files = Vec::new();
    collect(&root().join("src"), &mut files);
    files
        .iter()
        .map(|f| {
            f.strip_prefix(root().join("src"))
                .unwrap()
                .display()
                .to_string()
        })
        .collect()
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

/// `text` without comments (line, block, nested), string literals (plain, byte, raw) and
/// character literals — each replaced by a space — and with no whitespace around `::`, so a
/// path reads the same however it is written.
pub fn normalized(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let prev_is_ident = |out: &String| {
        out.chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && !prev_is_ident(&out) && matches!(next, Some('"' | '#')) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push(' ');
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && next == Some('\\') {
            // An escaped character literal: '\n', '\'', '\u{7b}'.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            // A character literal ('{'); a lifetime ('a) has no closing quote.
            i += 3;
            out.push(' ');
        } else {
            out.push(c);
            i += 1;
        }
    }
    // No whitespace around `::`.
    let mut tight = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("::") {
        tight.push_str(rest[..at].trim_end());
        tight.push_str("::");
        rest = rest[at + 2..].trim_start();
    }
    tight.push_str(rest);
    tight
}

/// The code without its inline `#[cfg(test)] mod … { … }` blocks.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        if let Some(decl) = trimmed.strip_prefix("mod ") {
            let name = ident(decl.trim_start());
            let tail = decl.trim_start()[name.len()..].trim_start();
            if tail.starts_with('{') {
                let end = matching_brace(tail);
                rest = &tail[end + 1..];
                continue;
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The children a file declares only for tests: each `#[cfg(test)] mod name;` not also
/// declared without it.
fn test_only_children(code: &str) -> Vec<String> {
    let (mut for_tests, mut always) = (BTreeSet::new(), BTreeSet::new());
    let mut from = 0;
    while let Some(at) = code[from..].find("mod ") {
        let start = from + at;
        from = start + 4;
        if code[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let name = ident(code[from..].trim_start());
        let after = code[from..].trim_start()[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with(';') {
            continue;
        }
        if code[..start].trim_end().ends_with("#[cfg(test)]") {
            for_tests.insert(name.to_string());
        } else {
            always.insert(name.to_string());
        }
    }
    for_tests.difference(&always).cloned().collect()
}

/// The index of the `}` that closes the `{` at the start of `text`.
pub fn matching_brace(text: &str) -> usize {
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
    text.len() - 1
}

pub fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Every path `source` names through `crate::`, `super::` (any number, after an optional
/// `self::`) or — in a module with children — a child's name, made absolute: `crate::{a::B,
/// c}` gives `[a, B]` and `[c]`; `super::x::Y` in `log/seal.rs` gives `[log, x, Y]`. Each with
/// whether it is a public re-export (`pub use`, `pub(crate) use`), which names a path without
/// depending on it.
pub fn absolute_paths(source: &Source, children: &BTreeSet<String>) -> Vec<(Vec<String>, bool)> {
    let code = &source.code;
    let mut paths = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts_word = !code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        let word = ident(rest);
        if !starts_word || word.is_empty() {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let re_export = is_re_export(&code[..i]);
        let mut tail = rest;
        let base: Option<Vec<String>> = if let Some(after) = tail.strip_prefix("crate::") {
            tail = after;
            Some(Vec::new())
        } else if tail.starts_with("super::") || tail.starts_with("self::super::") {
            tail = tail.strip_prefix("self::").unwrap_or(tail);
            let mut up = 0;
            while let Some(after) = tail.strip_prefix("super::") {
                up += 1;
                tail = after;
            }
            let mut base = source.module.clone();
            (up <= base.len()).then(|| {
                base.truncate(base.len() - up);
                base
            })
        } else if source.is_parent
            && children.contains(word)
            && rest[word.len()..].starts_with("::")
        {
            Some(source.module.clone())
        } else {
            None
        };
        if let Some(base) = base {
            for path in tree(tail) {
                paths.push(([base.clone(), path].concat(), re_export));
            }
        }
        i += word.len().max(1);
    }
    paths
}

/// Whether the statement that ends at the end of `before` is a `pub … use`.
fn is_re_export(before: &str) -> bool {
    let statement = before
        .rsplit([';', '{', '}'])
        .next()
        .unwrap_or("")
        .trim_start();
    statement.starts_with("pub") && statement.contains(" use ") || statement.starts_with("pub use ")
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

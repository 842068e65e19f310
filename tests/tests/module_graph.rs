//! The engine's modules import one another without circles: every `crate::`, `super::` and
//! `self::` path in `crates/vigil-core/src` is an edge from the file it is written in to the
//! deepest module file it names, a parent reaches each child it declares, a child may use its
//! own ancestors, and the graph of those edges has no cycle. A module below the
//! engine that reached back into it (as the poller once did) fails this test with the circle named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as its module path (`polling/mod.rs` is `polling`).
fn modules(root: &Path, dir: &Path, found: &mut BTreeMap<Vec<String>, String>) {
    for entry in std::fs::read_dir(dir).expect("the engine's sources") {
        let path: PathBuf = entry.expect("a directory entry").path();
        if path.is_dir() {
            modules(root, &path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(root).expect("under the root").with_extension("");
            let mut module: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            found.insert(module, std::fs::read_to_string(&path).expect("a readable source"));
        }
    }
}

/// The module paths a source file names: `crate::a::b`, `super::c`, and each item of
/// `use crate::a::{b, c::d}`.
fn named_paths(text: &str) -> Vec<(String, Vec<String>)> {
    let code: String = text.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut paths = Vec::new();
    for head in ["crate", "super", "self"] {
        for (at, _) in code.match_indices(&format!("{head}::")) {
            if code[..at].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + head.len() + 2..];
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let mut parts: Vec<String> = path.split("::").filter(|p| !p.is_empty()).map(str::to_owned).collect();
            let after = &rest[path.len()..];
            if let Some(group) = after.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let first: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !first.is_empty() && first != "self" {
                        paths.push((head.to_owned(), [parts.clone(), vec![first]].concat()));
                    }
                }
            }
            if parts.is_empty() {
                continue;
            }
            parts.retain(|p| p != "self");
            paths.push((head.to_owned(), parts));
        }
    }
    paths
}

#[test]
fn the_engines_modules_import_one_another_without_circles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/vigil-core/src");
    let mut files = BTreeMap::new();
    modules(&root, &root, &mut files);
    assert!(files.len() > 40, "the engine's modules were found: {}", files.len());
    let resolve = |path: Vec<String>| -> Vec<String> {
        (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|prefix| files.contains_key(prefix)).unwrap_or_default()
    };
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, text) in &files {
        for (head, parts) in named_paths(text) {
            let base: Vec<String> = match head.as_str() {
                "crate" => Vec::new(),
                "super" => module[..module.len().saturating_sub(1)].to_vec(),
                _ => module.clone(),
            };
            let target = resolve([base, parts].concat());
            // A child may use its parent's items: the two are one unit to the rest of the crate.
            if !module.starts_with(&target) {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
        // A parent reaches the children it declares (`mod record;`) by their bare names.
        for line in text.lines().map(str::trim) {
            let declared = line.trim_start_matches("pub(crate) ").trim_start_matches("pub ");
            if let Some(child) = declared.strip_prefix("mod ").and_then(|rest| rest.strip_suffix(';')) {
                let child = [module.clone(), vec![child.trim().to_owned()]].concat();
                if files.contains_key(&child) {
                    edges.entry(module.clone()).or_default().insert(child);
                }
            }
        }
    }
    // Depth-first search for a path back to where it started.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        trail: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(start) = trail.iter().position(|seen| seen == node) {
            return Some([&trail[start..], std::slice::from_ref(node)].concat());
        }
        if !done.insert(node.clone()) {
            return None;
        }
        trail.push(node.clone());
        let circle = edges.get(node).into_iter().flatten().find_map(|next| visit(next, edges, trail, done));
        trail.pop();
        circle
    }
    let mut done = BTreeSet::new();
    for module in files.keys() {
        if let Some(circle) = visit(module, &edges, &mut Vec::new(), &mut done) {
            let names: Vec<String> =
                circle.iter().map(|m| if m.is_empty() { "lib".into() } else { m.join("::") }).collect();
            panic!("the engine's modules import in a circle: {}", names.join(" -> "));
        }
    }
}

//! The `falco` crate's top-level modules depend on each other one way (`app` → `pipeline` →
//! `load` → `config`, ...): a `crate::<module>` path that closes a cycle fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files of a top-level module: `name.rs` or everything under `name/`.
fn files_of(module: &Path) -> Vec<PathBuf> {
    if module.is_file() {
        return vec![module.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![module.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("module dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// Top-level module name → the other top-level modules its files name as `crate::<m>`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut modules = BTreeMap::new();
    for e in std::fs::read_dir(src()).expect("src").flatten() {
        let p = e.path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "lib" | "main" | "bin") {
            continue;
        }
        modules.insert(name, p);
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut g = BTreeMap::new();
    for (name, path) in &modules {
        let mut deps = BTreeSet::new();
        for f in files_of(path) {
            let text = std::fs::read_to_string(&f).expect("source");
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if word != *name && names.contains(&word) {
                    deps.insert(word);
                }
            }
        }
        g.insert(name.clone(), deps);
    }
    g
}

/// A cycle through the graph, if there is one, as the list of modules along it.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut cycle = path[at..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_have_no_cycle() {
    let g = graph();
    assert!(
        g.contains_key("load") && g.contains_key("pipeline"),
        "{g:?}"
    );
    assert!(g["app"].contains("pipeline"), "the scan misses uses: {g:?}");
    assert_eq!(
        find_cycle(&g),
        None,
        "module cycle in engine/falco/src: {g:?}"
    );
}

#[test]
fn loading_is_below_startup_and_reload() {
    let g = graph();
    // Startup (app) and reload (pipeline) both load through `load`, which knows neither.
    assert!(
        g["app"].contains("load") && g["pipeline"].contains("load"),
        "{g:?}"
    );
    assert!(
        !g["load"].contains("app") && !g["load"].contains("pipeline"),
        "{g:?}"
    );
}

#[test]
fn a_cycle_is_found() {
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
}

//! Every import points down the layers of the crate.
//!
//! The test reads `src/**/*.rs`, finds every reference to another top-level module (`crate::X`,
//! or `X` inside `use crate::{...}`), and fails when a module imports one at its own rank or
//! above, naming the file and the import. Because peers may not import each other either, no
//! two top-level modules can import each other in a circle; a check for circles says so directly
//! all the same, should the layers ever be loosened.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first; the modules of one layer are peers and import nothing of each other.
/// `input` (the parsing words every value parser shares) is the floor: `time` reads durations
/// with it.
const LAYERS: &[&[&str]] = &[
    &["cli"],
    &["demo"],
    &["report"],
    &["plot"],
    &["sweep"],
    &["flags"],
    &["lock", "smr"],
    &["check"],
    &["engine"],
    &["node", "fault", "service"],
    &["time", "rng", "sync", "digest"],
    &["input"],
];

/// Files that are not in any layer: the crate root and the binary wire the modules together.
const EXEMPT: &[&str] = &["lib.rs", "main.rs"];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/smr/config.rs` and `src/smr.rs` are `smr`.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("a path under src/");
    first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string()
}

/// The code of a file without its comments (doc links are not imports).
fn code(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every path the code reaches through `crate::`, as written after it (`smr::config::X`, or
/// for a group `use crate::{a::b, c}` each of `a::b` and `c`), with its line number.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    for (at, _) in code.match_indices("crate::") {
        let preceded = code[..at].chars().next_back();
        if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::`, `my_crate::`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Only the group's own commas separate items: `a::{b, c}` is one item, from `a`.
            let (mut depth, mut item) = (0, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push((line_of(at), std::mem::take(&mut item)));
                        continue;
                    }
                    _ => {}
                }
                if !c.is_whitespace() {
                    item.push(c);
                }
            }
            out.push((line_of(at), item));
        } else {
            let path: String =
                rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            out.push((line_of(at), path.trim_end_matches(':').to_string()));
        }
    }
    out
}

struct Import {
    file: String,
    line: usize,
    from: String,
    path: String,
}

impl Import {
    fn target(&self) -> &str {
        self.path.split("::").next().unwrap_or("").trim_start_matches('{')
    }
}

fn imports() -> Vec<Import> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/").to_path_buf();
        let shown = format!("src/{}", relative.display());
        if EXEMPT.iter().any(|e| relative == Path::new(e)) {
            continue;
        }
        let from = module_of(&relative);
        assert!(rank(&from).is_some(), "{shown}: module {from} is in no layer: add it to LAYERS");
        let text = std::fs::read_to_string(&file).expect("a source file is readable");
        for (line, path) in crate_paths(&code(&text)) {
            out.push(Import { file: shown.clone(), line, from: from.clone(), path });
        }
    }
    out
}

#[test]
fn every_import_points_down() {
    let mut wrong = Vec::new();
    for import in imports() {
        let target = import.target();
        if target == import.from || target.is_empty() {
            continue;
        }
        let Some(to) = rank(target) else {
            // A macro exported at the root (`crate::with_protocol!`) or an item of lib.rs.
            continue;
        };
        let from = rank(&import.from).expect("checked when read");
        if to <= from {
            let how = if to == from { "a peer in its own layer" } else { "a layer above it" };
            wrong.push(format!(
                "{}:{}: {} imports crate::{}, {how}",
                import.file, import.line, import.from, import.path
            ));
        }
    }
    assert!(wrong.is_empty(), "imports against the layers (top first: {LAYERS:?}):\n{}", wrong.join("\n"));
}

#[test]
fn no_circle_between_modules() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for import in imports() {
        let target = import.target().to_string();
        if target != import.from && rank(&target).is_some() {
            edges.entry(import.from.clone()).or_default().insert(target);
        }
    }
    // Depth-first search for a back edge; the path on the stack is the circle.
    fn visit(
        module: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|m| m == module) {
            let mut circle = stack[start..].to_vec();
            circle.push(module.to_string());
            return Some(circle);
        }
        if done.contains(module) {
            return None;
        }
        stack.push(module.to_string());
        for next in edges.get(module).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(module.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for module in edges.keys() {
        let circle = visit(module, &edges, &mut Vec::new(), &mut done);
        assert!(circle.is_none(), "modules import each other in a circle: {}", circle.unwrap().join(" -> "));
    }
}

#[test]
fn the_reader_sees_grouped_and_nested_imports() {
    let code =
        code("use crate::{lock::{X, Y}, smr};\nfn f() { crate::cli::main(); } // crate::demo\n$crate::x");
    let paths: Vec<(usize, String)> = crate_paths(&code);
    assert_eq!(
        paths,
        vec![(1, "lock::{X,Y}".to_string()), (1, "smr".to_string()), (2, "cli::main".to_string())]
    );
    assert_eq!(module_of(Path::new("smr/config.rs")), "smr");
    assert_eq!(module_of(Path::new("time.rs")), "time");
}

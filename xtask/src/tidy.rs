//! Tidy tests: facts about the source tree that no compiler checks. Every source file of the
//! three crates is named in ARCHITECTURE.md's code map and opens with a doc saying why it
//! exists, the suite's modules import each other without a cycle (so that the oracle and the
//! vocabulary can be read and tested alone), and no function of the catalog outgrows a screen
//! (each check reads as one named function).

#[cfg(test)]
mod tests {
    use std::{
        collections::{BTreeMap, BTreeSet},
        path::{Path, PathBuf},
    };

    use crate::project_root;

    const CRATES: [&str; 3] = ["reference-server", "conformance", "xtask"];
    /// Folders of one file per topic of the check ids, which the code map describes by rule
    /// rather than file by file.
    const TOPIC_FOLDERS: [&str; 2] = ["catalog/presence", "catalog/directory"];
    /// Included by `include!`, not modules.
    const NOT_MODULES: [&str; 1] = ["contract_rules.rs"];

    /// Every `.rs` file below `dir`, as paths relative to it.
    fn sources(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path.strip_prefix(dir).unwrap().to_path_buf());
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn every_source_file_is_in_the_code_map() {
        let root = project_root();
        let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
        let mut missing = Vec::new();
        for krate in CRATES {
            for rel in sources(&root.join(krate).join("src")) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                let parent = rel.rsplit_once('/').map_or("", |(p, _)| p);
                let named = map.contains(&format!("`{rel}`"))
                    || map.contains(&format!("{krate}/src/{rel}"))
                    || map.contains(&format!("`{rel}`:"))
                    || (rel.ends_with("mod.rs") && map.contains(&format!("`{parent}/`")))
                    || TOPIC_FOLDERS.contains(&parent)
                    || NOT_MODULES.iter().any(|n| rel.ends_with(n))
                    || (map.contains(&format!("`{}`", rel.rsplit('/').next().unwrap()))
                        && (parent.is_empty() || map.contains(&format!("`{parent}/`"))));
                if !named {
                    missing.push(format!("{krate}/src/{rel}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "ARCHITECTURE.md's code map does not name: {missing:?}"
        );
    }

    #[test]
    fn every_module_says_why_it_exists() {
        let root = project_root();
        let mut silent = Vec::new();
        for krate in CRATES {
            let src = root.join(krate).join("src");
            for rel in sources(&src) {
                if NOT_MODULES.iter().any(|n| rel.ends_with(n)) {
                    continue;
                }
                let text = std::fs::read_to_string(src.join(&rel)).unwrap();
                let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                if !(first.starts_with("//!") || first.starts_with("/*!")) {
                    silent.push(format!("{krate}/src/{}", rel.display()));
                }
            }
        }
        assert!(
            silent.is_empty(),
            "modules without a //! or /*! doc: {silent:?}"
        );
    }

    /// The longest a function of `conformance/src/catalog` may be, in lines.
    const CATALOG_FUNCTION_LINES: usize = 85;

    #[test]
    fn catalog_functions_fit_a_screen() {
        let src = project_root().join("conformance/src/catalog");
        let mut long = Vec::new();
        for rel in sources(&src) {
            let text = std::fs::read_to_string(src.join(&rel)).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                let body = line.trim_start();
                let indent = &line[..line.len() - body.len()];
                let body = body
                    .strip_prefix("pub(super) ")
                    .or_else(|| body.strip_prefix("pub(crate) "))
                    .or_else(|| body.strip_prefix("pub "))
                    .unwrap_or(body);
                if !body.starts_with("fn ") {
                    continue;
                }
                let close = format!("{indent}}}");
                if let Some(len) = lines[n + 1..].iter().position(|l| *l == close) {
                    if len + 2 > CATALOG_FUNCTION_LINES {
                        let name = body[3..].split(['(', '<']).next().unwrap_or("");
                        long.push(format!("{}::{name} ({} lines)", rel.display(), len + 2));
                    }
                }
            }
        }
        assert!(
            long.is_empty(),
            "catalog functions longer than {CATALOG_FUNCTION_LINES} lines: {long:?}"
        );
    }

    /// The code of a file without comments and without its unit tests.
    fn code(text: &str) -> String {
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
        let mut out = String::new();
        let mut in_block = false;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if in_block {
                in_block = !trimmed.starts_with("*/");
                continue;
            }
            if trimmed.starts_with("/*") {
                in_block = !trimmed.ends_with("*/");
                continue;
            }
            if trimmed.starts_with("//") {
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_suites_modules_have_no_cycle() {
        let src = project_root().join("conformance/src");
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for rel in sources(&src) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let top = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_owned();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = code(&std::fs::read_to_string(src.join(&rel)).unwrap());
            let entry = deps.entry(top.clone()).or_default();
            for (at, _) in text.match_indices("crate::") {
                let name: String = text[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != top {
                    entry.insert(name);
                }
            }
        }
        let reaches = |from: &str| {
            let mut seen = BTreeSet::new();
            let mut pending = vec![from.to_owned()];
            while let Some(m) = pending.pop() {
                for d in deps.get(&m).into_iter().flatten() {
                    if seen.insert(d.clone()) {
                        pending.push(d.clone());
                    }
                }
            }
            seen
        };
        let cyclic: Vec<String> = deps
            .keys()
            .filter(|m| reaches(m).contains(*m))
            .map(|m| format!("{m} -> {:?}", deps[m]))
            .collect();
        assert!(
            cyclic.is_empty(),
            "modules of conformance/src in an import cycle:\n{}",
            cyclic.join("\n")
        );
        assert!(deps.len() > 10, "read {} modules", deps.len());
    }
}

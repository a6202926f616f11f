//! The suite installs and runs on its own. Two facts make `cargo install` work for a user, and
//! both are checked here without compiling the crate a second time:
//!
//! - the package cargo would publish or install (`cargo package --list`) holds every file the
//!   crate compiles: each source file, and each file a source includes (`include!`,
//!   `include_str!`), none of them outside the crate's folder, and its README, with the metadata
//!   crates.io shows (the package is `rocketchat-conformance`: `conformance` is taken there);
//! - the binary needs nothing from the repository at run time: a copy of it in an empty folder
//!   outside the repository answers `--help` and `--list`.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
};

/// Every file below `dir`, relative to `base`.
fn files(dir: &Path, base: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path, base));
        } else {
            out.push(
                path.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
    out
}

#[test]
fn the_package_holds_every_file_the_crate_compiles() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--offline",
            "-p",
            "rocketchat-conformance",
        ])
        .current_dir(&manifest)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo package --list failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packaged: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let mut needed = vec!["Cargo.toml".to_owned(), "Cargo.lock".to_owned()];
    for source in files(&manifest.join("src"), &manifest) {
        let text = std::fs::read_to_string(manifest.join(&source)).unwrap();
        for macro_name in ["include_str!(\"", "include!(\"", "include_bytes!(\""] {
            for (at, _) in text.match_indices(macro_name) {
                let rel = text[at + macro_name.len()..].split('"').next().unwrap();
                let dir = Path::new(&source).parent().unwrap();
                let path = manifest.join(dir).join(rel);
                let path = path
                    .canonicalize()
                    .unwrap_or_else(|e| panic!("{source} includes {rel}: {e}"));
                let inside = path.strip_prefix(manifest.canonicalize().unwrap()).unwrap_or_else(|_| {
                    panic!("{source} includes {}, outside the crate: an installed crate would not have it", path.display())
                });
                needed.push(inside.to_string_lossy().replace('\\', "/"));
            }
        }
        needed.push(source);
    }
    needed.push("README.md".to_owned());
    let missing: Vec<&String> = needed.iter().filter(|f| !packaged.contains(*f)).collect();
    assert!(missing.is_empty(), "the package lacks {missing:?}");
    // What crates.io shows and needs: no warning about missing metadata but the repository's
    // address, which only the repository's owners can give.
    let warnings = String::from_utf8_lossy(&out.stderr);
    for field in ["description", "license", "readme", "keywords", "categories"] {
        assert!(
            !warnings.contains(&format!("no {field}")),
            "the manifest lacks {field}:\n{warnings}"
        );
    }
    let manifest_text = std::fs::read_to_string(manifest.join("Cargo.toml")).unwrap();
    for field in ["description =", "readme =", "keywords =", "categories ="] {
        assert!(manifest_text.contains(field), "Cargo.toml lacks {field}");
    }
}

#[test]
fn the_binary_runs_without_the_repository() {
    let root = std::env::temp_dir().join(format!("conformance-install-{}", std::process::id()));
    let elsewhere = root.join("empty-dir");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let bin = root.join(format!("conformance{}", std::env::consts::EXE_SUFFIX));
    std::fs::copy(env!("CARGO_BIN_EXE_conformance"), &bin).unwrap();
    let run = |arg: &str| {
        let out = Command::new(&bin)
            .arg(arg)
            .current_dir(&elsewhere)
            .env_remove("CARGO_MANIFEST_DIR")
            .output()
            .unwrap();
        assert!(out.status.success(), "{arg}: {:?}", out.status);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let help = run("--help");
    assert!(
        help.contains("--url") && help.contains("--junit") && help.contains("--html"),
        "{help}"
    );
    let list = run("--list");
    assert!(
        list.contains("presence/cutoff/older-than-10-min-is-full"),
        "{list}"
    );
    assert!(list.contains("MUST") && list.contains("SHOULD"));
    // The rules and the kill matrix are compiled in: the list cites both.
    assert!(list.contains("docs/contract/users.presence.md#presence.cutoff"));
    assert!(list.contains("catches: presence-full-always-true"));
    std::fs::remove_dir_all(&root).unwrap();
}

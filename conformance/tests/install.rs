//! The conformance binary installs on its own (`cargo install --path conformance`) and runs
//! outside the repository: `--help` and `--list` from an empty directory.

use std::{path::Path, process::Command};

#[test]
fn installed_binary_runs_without_the_repository() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = std::env::temp_dir().join(format!("conformance-install-{}", std::process::id()));
    let elsewhere = root.join("empty-dir");
    std::fs::create_dir_all(&elsewhere).unwrap();
    // Reuse the workspace's build artifacts: a debug install of what the tests already built.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["install", "--quiet", "--debug", "--locked", "--path"])
        .arg(manifest)
        .arg("--root")
        .arg(&root)
        .arg("--target-dir")
        .arg(target)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo install failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = root
        .join("bin")
        .join(format!("conformance{}", std::env::consts::EXE_SUFFIX));
    let help = Command::new(&bin)
        .arg("--help")
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--url") && help.contains("--junit") && help.contains("--html"),
        "{help}"
    );
    let list = Command::new(&bin)
        .arg("--list")
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert!(list.status.success());
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("presence/cutoff/older-than-10-min-is-full"),
        "{list}"
    );
    assert!(list.contains("MUST") && list.contains("SHOULD"));
    std::fs::remove_dir_all(&root).unwrap();
}

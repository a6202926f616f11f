//! The binary as a user runs it: `--help`, `--list`, and a target that refuses connections.

use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_conformance"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONFORM_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn help_and_list() {
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--url",
        "--user-id",
        "--auth-token",
        "--username",
        "--password",
        "--filter",
        "--skip",
        "--level",
        "--expect-fail",
        "--junit",
        "--json",
        "--seed",
        "--cases",
        "--rate-limit",
        "--timeout",
        "CONFORM_URL",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let out = bin().arg("--list").output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.contains("presence/cutoff/older-than-10-min-is-full"));
    // The kill matrix (conformance/kill-matrix.json) names what each check catches.
    assert!(
        list.contains("catches: presence-full-always-true"),
        "{list}"
    );
    assert!(list.contains(&format!("{} checks", conformance::catalog().len())));
}

#[test]
fn unreachable_target_errors_and_exits_non_zero() {
    let dir = std::env::temp_dir().join(format!("conformance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (junit, json) = (dir.join("r.xml"), dir.join("r.json"));
    let out = bin()
        .args([
            "--url",
            "http://127.0.0.1:9",
            "--user-id",
            "u",
            "--auth-token",
            "t0k3n-secret",
        ])
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("SET-UP FAILED: the target is unreachable"),
        "{stdout}"
    );
    assert!(stdout.contains("RESULT: NOT conformant"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["summary"]["error"], conformance::catalog().len());
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<error"));
    assert!(!xml.contains("t0k3n-secret") && !report.to_string().contains("t0k3n-secret"));
}

#[test]
fn no_target_is_a_usage_error() {
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

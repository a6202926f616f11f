//! The binary as a user runs it: `--help`, `--list`, and a target that refuses connections.

mod common;

use std::process::Command;

use common::bin;

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
fn unreachable_target_is_not_judged() {
    // Removed when dropped, also when an assertion below fails.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (junit, json, markdown) = (dir.join("r.xml"), dir.join("r.json"), dir.join("r.md"));
    // A job summary file that already holds another step's text is appended to.
    std::fs::write(&markdown, "earlier step\n").unwrap();
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
        .arg("--markdown")
        .arg(&markdown)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let summary = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        summary.starts_with("earlier step\n## Rocket.Chat conformance"),
        "{summary}"
    );
    assert!(
        summary.contains("Set-up failed (the target is unreachable)"),
        "{summary}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("SET-UP FAILED (the target is unreachable)"),
        "{stdout}"
    );
    assert!(stdout.contains("RESULT: NOT JUDGED"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["summary"]["not_run"], conformance::catalog().len());
    assert_eq!(report["outcome"], "not-judged");
    assert_eq!(report["setup_problem"], "unreachable");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        !xml.contains("<error") && !xml.contains("<failure"),
        "{xml}"
    );
    assert!(xml.contains("not run: set-up failed"), "{xml}");
    assert!(!xml.contains("t0k3n-secret") && !report.to_string().contains("t0k3n-secret"));
}

#[test]
fn no_target_is_a_usage_error() {
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Ctrl-C in the middle of a managed run: the suite stops, removes what it created, writes its
/// reports (the checks it did not finish are not run) and exits 130.
#[cfg(unix)]
#[test]
fn an_interrupt_still_removes_what_was_created() {
    use std::time::{Duration, Instant};

    let server = common::start_reference();
    let admin = "rocketchat.internal.admin.test";
    let dir = std::env::temp_dir().join(format!("conformance-int-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("r.json");
    let mut child = bin()
        .args([
            "--url",
            &server.url,
            "--username",
            admin,
            "--password",
            admin,
        ])
        .args(["--admin-username", admin, "--admin-password", admin])
        // A run that would last for hours unless interrupted.
        .args(["--filter", "directory/managed/model-based-run"])
        .args(["--model-sequences", "1000000", "--seed", "7"])
        .arg("--json")
        .arg(&json)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let http = reqwest::blocking::Client::new();
    let login: serde_json::Value = serde_json::from_str(
        &http
            .post(format!("{}/api/v1/login", server.url))
            .header("Content-Type", "application/json")
            .body(serde_json::json!({ "user": admin, "password": admin }).to_string())
            .send()
            .unwrap()
            .text()
            .unwrap(),
    )
    .unwrap();
    let (uid, token) = (
        login["data"]["userId"].as_str().unwrap().to_owned(),
        login["data"]["authToken"].as_str().unwrap().to_owned(),
    );
    let suite_users = || -> i64 {
        let text = http
            .get(format!(
                "{}/api/v1/directory?type=users&text=conf-",
                server.url
            ))
            .header("X-User-Id", &uid)
            .header("X-Auth-Token", &token)
            .send()
            .unwrap()
            .text()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["total"].as_i64().unwrap()
    };
    // Wait until the run has created users of its own, then interrupt it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while suite_users() == 0 {
        assert!(Instant::now() < deadline, "the run created nothing in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the suite did not stop within 60 s of the interrupt");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(suite_users(), 0, "the interrupted run left users behind");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["managed"]["cleanup_succeeded"], true,
        "{}",
        report["managed"]
    );
    assert!(!report["managed"]["created"].as_array().unwrap().is_empty());
    let model = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "directory/managed/model-based-run")
        .unwrap();
    assert_eq!(model["status"], "not-run");
    assert!(
        model["message"].as_str().unwrap().contains("interrupted"),
        "{model}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

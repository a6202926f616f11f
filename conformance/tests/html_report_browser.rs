//! The HTML report of a run against a defective target, opened in headless Chromium: the
//! failure's rule, expected and actual values, curl line and HTTP exchange are visible, and the
//! page loads nothing from the network (`browser-tests/html-report.mjs`).
//!
//! The defect: the reference server with `Presence_broadcast_disabled` switched on answers every
//! `users.presence` call with an empty full list, so `presence/from/recent-is-partial` fails.
//! Needs Chromium, Node.js and `npm ci --prefix browser-tests`: skipped locally without them,
//! a failure under CI.

mod common;

use std::{path::Path, process::Command};

use conformance::vocabulary::Status;

const CHECK: &str = "presence/from/recent-is-partial";

fn missing_browser_tooling(root: &Path) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "no Chromium at {chromium} (apt-get install -y chromium)"
        ));
    }
    if !root
        .join("browser-tests/node_modules/playwright-core")
        .exists()
    {
        return Some("no playwright-core (npm ci --prefix browser-tests)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node on PATH".into());
    }
    None
}

#[test]
fn html_report_of_a_failed_run_shows_the_failure_in_a_browser() {
    let root = common::root();
    if let Some(missing) = missing_browser_tooling(&root) {
        if std::env::var_os("CI").is_some() {
            panic!("the HTML report browser test cannot run: {missing}");
        }
        eprintln!("skipped: the HTML report browser test needs {missing}");
        return;
    }
    let server = common::start_reference();
    let client = reqwest::blocking::Client::new();
    let patched = client
        .patch(format!("{}/test-control/settings", server.url))
        .header("Content-Type", "application/json")
        .body(r#"{"Presence_broadcast_disabled": true}"#)
        .send()
        .expect("test control answers");
    assert!(patched.status().is_success());

    let mut config = common::reference_config(&server.url);
    config.filters = vec![CHECK.to_owned()];
    let report = conformance::runner::run(&config, &mut conformance::runner::Quiet);
    let result = report
        .results
        .iter()
        .find(|r| r.id == CHECK)
        .expect("the check ran");
    assert_eq!(
        result.status,
        Status::Fail,
        "the defect must make {CHECK} fail"
    );

    let dir = root.join("target/browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report-with-failure.html");
    std::fs::write(&page, conformance::html::html(&report)).unwrap();
    let out = Command::new("node")
        .arg(root.join("browser-tests/html-report.mjs"))
        .arg(&page)
        .arg(CHECK)
        .arg("--screenshot")
        .arg(dir.join("html-report.png"))
        .output()
        .expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{log}");
    assert!(
        out.status.success(),
        "the report's failure is not visible:\n{log}"
    );
}

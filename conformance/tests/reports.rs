//! The report renderers (console, JUnit, JSON) snapshot-tested on a fixed report with one
//! result of each status.

use conformance::{
    config::Config,
    context::Skew,
    report,
    runner::{Outcome, Report, Summary, TargetInfo},
    setup::SetupProblem,
    vocabulary::{CheckResult, Exchange, Level, Status},
};

fn result(id: &str, level: Level, status: Status) -> CheckResult {
    CheckResult {
        id: id.into(),
        endpoint: id.split('/').next().unwrap().into(),
        level,
        sentence: "If the value of from parameter is older than 10 minutes, the server will reply with a full result set.".into(),
        source: "docs/contract/users.presence.md#presence.cutoff (https://example.org/upstream)"
            .into(),
        rules: vec!["presence.cutoff".into()],
        code: "conformance/src/catalog/presence/cutoff.rs:7".into(),
        needs: "credentials".into(),
        status,
        message: None,
        expected: None,
        actual: None,
        curl: None,
        expected_failure: None,
        notes: Vec::new(),
        duration_ms: 3,
        exchanges: Vec::new(),
    }
}

fn fixed_report() -> Report {
    let mut fail = result(
        "presence/cutoff/older-than-10-min-is-full",
        Level::Must,
        Status::Fail,
    );
    fail.message = Some(
        "from=2026-01-01T11:49:00.000Z: a from 11 minutes old gives the full result set".into(),
    );
    fail.expected = Some("\"full\": true".into());
    fail.actual = Some("\"full\": false with 0 users".into());
    let curl = "curl -sS -i -H \"X-Auth-Token: $X_AUTH_TOKEN\" -H \"X-User-Id: $X_USER_ID\" 'http://target.example/api/v1/users.presence?from=2026-01-01T11%3A49%3A00.000Z'";
    fail.curl = Some(curl.into());
    fail.exchanges.push(Exchange {
        method: "GET".into(),
        url: "http://target.example/api/v1/users.presence?from=2026-01-01T11%3A49%3A00.000Z".into(),
        request_headers: vec![
            ("X-Auth-Token".into(), "$X_AUTH_TOKEN".into()),
            ("X-User-Id".into(), "$X_USER_ID".into()),
        ],
        request_body: None,
        status: Some(200),
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: r#"{"users":[],"full":false,"success":true}"#.into(),
        error: None,
        duration_ms: 2,
        curl: curl.into(),
        cleanup: false,
        sequence: None,
    });
    let mut skip = result(
        "presence/cutoff/exactly-10-min-is-full",
        Level::Should,
        Status::Skip,
    );
    skip.message = Some("the target has no test-control API".into());
    let mut error = result("directory/envelope/users", Level::Must, Status::Error);
    error.message = Some(
        "GET /api/v1/directory timed out after 10 s (check directory/envelope/users; --timeout)"
            .into(),
    );
    error.expected_failure = Some("directory not deployed yet".into());
    let mut disabled = result(
        "directory/sort/two-keys-is-400",
        Level::Should,
        Status::Disabled,
    );
    disabled.message = Some("--skip directory/sort".into());
    let mut pass = result("presence/envelope/full-list", Level::Must, Status::Pass);
    pass.notes.push("a note".into());
    let results = vec![pass, fail, skip, error, disabled];
    let summary = Summary::of(&results);
    Report {
        suite: "rocketchat-presence-directory-conformance".into(),
        suite_version: "0.1.0".into(),
        contract: vec!["docs/contract/users.presence.md".into()],
        target: TargetInfo {
            url: "http://target.example".into(),
            version: Some("8.6.0".into()),
            test_control: Some(false),
            clock_skew: Some(Skew {
                ms: -1200,
                uncertainty_ms: 503,
                method: "date-header",
            }),
            caller_admin: Some(true),
            judged_as: Some(conformance::versions::Judged {
                line: conformance::versions::Line::V8_6,
                chosen_by: "/api/info says 8.6.0".into(),
                warning: None,
            }),
            second_user: false,
        },
        config: Config::new("http://target.example").redacted(),
        seed: 42,
        started_at: "2026-01-01T12:00:00.000Z".into(),
        duration_ms: 1234,
        outcome: Report::judge(&summary, None, false),
        setup_problem: None,
        setup_error: None,
        stopped: None,
        setup_exchanges: Vec::new(),
        summary,
        results,
        managed: Some(conformance::managed::ManagedReport {
            prefix: "conf-abc123-".into(),
            keep: false,
            created: vec![conformance::managed::Created {
                kind: "user",
                name: "conf-abc123-dc-a".into(),
                id: "u1".into(),
                check: "presence/managed/delta-contains-changed-user".into(),
                removed: true,
                cleanup_error: None,
            }],
            cleanup_succeeded: true,
        }),
    }
}

#[test]
fn console_report() {
    insta::assert_snapshot!("console", report::console(&fixed_report()));
}

#[test]
fn junit_report() {
    insta::assert_snapshot!("junit", report::junit(&fixed_report()));
}

#[test]
fn markdown_summary() {
    insta::assert_snapshot!("markdown", report::markdown(&fixed_report()));
}

#[test]
fn json_report() {
    insta::assert_snapshot!("json", report::json(&fixed_report()));
}

#[test]
fn exit_code_ignores_known_failures_only() {
    let r = fixed_report();
    assert_eq!(
        r.summary.blocking, 1,
        "the Fail blocks, the known Error does not"
    );
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn three_outcomes_three_exit_codes() {
    let mut r = fixed_report();
    // Only passes and known failures: conformant.
    r.results.retain(|x| x.status != Status::Fail);
    r.summary = Summary::of(&r.results);
    assert_eq!(Report::judge(&r.summary, None, false), Outcome::Conformant);
    // A set-up problem or an early stop with nothing failed: not judged.
    assert_eq!(
        Report::judge(&r.summary, Some(SetupProblem::CredentialsRefused), false),
        Outcome::NotJudged
    );
    assert_eq!(Report::judge(&r.summary, None, true), Outcome::NotJudged);
    let mut not_run = result("directory/envelope/channels", Level::Must, Status::NotRun);
    not_run.message = Some("not run: the target stopped answering".into());
    r.results.push(not_run);
    r.summary = Summary::of(&r.results);
    assert_eq!(r.summary.not_run, 1);
    assert_eq!(Report::judge(&r.summary, None, false), Outcome::NotJudged);
    // A failure among the checks that ran outweighs the checks not run.
    r.results.push(result(
        "presence/envelope/full-list",
        Level::Must,
        Status::Fail,
    ));
    r.summary = Summary::of(&r.results);
    assert_eq!(
        Report::judge(&r.summary, None, true),
        Outcome::NotConformant
    );
    for (outcome, code) in [
        (Outcome::Conformant, 0),
        (Outcome::NotConformant, 1),
        (Outcome::NotJudged, 2),
    ] {
        assert_eq!(outcome.exit_code(), code);
    }
}

#[test]
fn html_report_snapshot() {
    let html = conformance::html::html(&fixed_report());
    for outside in ["<link", " src=", "@import", "url(", "<script"] {
        assert!(
            !html.contains(outside),
            "the report loads nothing: found {outside}"
        );
    }
    assert!(html.contains("presence/cutoff/older-than-10-min-is-full"));
    assert!(
        html.contains("&quot;full&quot;: false with 0 users"),
        "the failure's actual value"
    );
    insta::assert_snapshot!("html", html);
}

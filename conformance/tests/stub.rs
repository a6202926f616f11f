//! A stub target that answers badly proves the Error paths: refused connections, resets,
//! hangs, HTML, truncated JSON, redirects and enormous bodies become Error results with a clear
//! message (never a panic), and a 429 with Retry-After is retried.

mod common;

use std::time::Duration;

use common::{stub, Misbehaviour};
use conformance::{
    config::{Config, Credentials},
    runner::{self, Quiet},
    setup::SetupProblem,
    vocabulary::Status,
};

fn config(url: &str) -> Config {
    let mut c = Config::new(url);
    c.credentials = Some(Credentials::Token {
        user_id: "stubUser".into(),
        auth_token: "stub-secret-token-123".into(),
    });
    c.filters = vec![
        "presence/envelope/full-list".into(),
        "directory/envelope/users".into(),
    ];
    c.http.timeout = Duration::from_millis(700);
    c.http.max_body_bytes = 64 * 1024;
    c.seed = Some(1);
    c
}

fn expect_errors(m: Misbehaviour, wanted: &str) {
    let s = stub(m);
    let report = runner::run(&config(&s.url), &mut Quiet);
    let ran: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status != Status::Disabled)
        .collect();
    assert_eq!(ran.len(), 2);
    for r in ran {
        assert_eq!(
            r.status,
            Status::Error,
            "{m:?}: {} was {:?}: {:?}",
            r.id,
            r.status,
            r.message
        );
        let msg = r.message.clone().unwrap_or_default();
        assert!(msg.contains(wanted), "{m:?}: {msg:?} lacks {wanted:?}");
        assert!(!msg.contains("stub-secret-token-123"));
    }
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn html_is_an_error() {
    expect_errors(Misbehaviour::Html, "not JSON");
}

#[test]
fn truncated_json_is_an_error() {
    expect_errors(Misbehaviour::TruncatedJson, "not JSON");
}

#[test]
fn reset_is_an_error() {
    expect_errors(Misbehaviour::Reset, "GET /api/v1/");
}

#[test]
fn hang_is_a_timeout_naming_the_check() {
    expect_errors(Misbehaviour::Hang, "timed out after 0.7 s (check ");
}

#[test]
fn redirect_is_an_error() {
    expect_errors(Misbehaviour::Redirect, "does not follow redirects");
}

#[test]
fn enormous_body_is_capped() {
    expect_errors(
        Misbehaviour::Enormous,
        "larger than the 65536 bytes allowed",
    );
}

#[test]
fn server_error_is_a_failure_not_a_crash() {
    let s = stub(Misbehaviour::ServerError);
    let report = runner::run(&config(&s.url), &mut Quiet);
    let r = report
        .results
        .iter()
        .find(|r| r.id == "presence/envelope/full-list")
        .unwrap();
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        r.expected.as_deref(),
        Some("200 with a JSON body and \"success\": true")
    );
    assert!(
        r.curl.as_deref().unwrap().contains("$X_AUTH_TOKEN"),
        "{:?}",
        r.curl
    );
}

#[test]
fn too_many_requests_is_retried() {
    let s = stub(Misbehaviour::TooManyRequestsOnce);
    let mut c = config(&s.url);
    c.filters = vec!["presence/envelope/full-list".into()];
    let report = runner::run(&c, &mut Quiet);
    let r = report
        .results
        .iter()
        .find(|r| r.id == "presence/envelope/full-list")
        .unwrap();
    assert_eq!(r.status, Status::Pass, "{:?}", r.message);
    assert_eq!(r.exchanges.len(), 2, "one 429, one retry");
    assert_eq!(r.exchanges[0].status, Some(429));
}

#[test]
fn refused_connection_is_not_judged_and_no_check_runs() {
    let mut c = config("http://127.0.0.1:9");
    c.filters.clear();
    let report = runner::run(&c, &mut Quiet);
    assert_eq!(report.setup_problem, Some(SetupProblem::Unreachable));
    assert!(
        report
            .setup_error
            .as_deref()
            .unwrap()
            .contains("the connection was refused"),
        "{:?}",
        report.setup_error
    );
    assert!(report.results.iter().all(|r| r.status == Status::NotRun));
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn expected_failures_do_not_fail_the_run() {
    let s = stub(Misbehaviour::ServerError);
    let mut c = config(&s.url);
    c.filters = vec!["presence/envelope/full-list".into()];
    c.expect_fail.insert(
        "presence/envelope/full-list".into(),
        "stub answers 500".into(),
    );
    let report = runner::run(&c, &mut Quiet);
    assert_eq!(report.summary.fail, 1);
    assert_eq!(report.summary.expected_failures, 1);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn checks_fail_against_a_server_that_ignores_the_rules() {
    // A server that accepts any request and always answers the full list: the negative auth
    // checks and the `from` checks must Fail (not pass, not error).
    let s = stub(Misbehaviour::AlwaysFull);
    let mut c = config(&s.url);
    c.filters = vec![
        "presence/auth/".into(),
        "presence/from/recent-is-partial".into(),
        "presence/cutoff/just-inside-window-is-partial".into(),
    ];
    let report = runner::run(&c, &mut Quiet);
    for id in [
        "presence/auth/no-credentials-is-401",
        "presence/auth/token-without-user-id-is-401",
        "presence/auth/user-id-without-token-is-401",
        "presence/auth/wrong-token-is-401",
        "presence/from/recent-is-partial",
        "presence/cutoff/just-inside-window-is-partial",
    ] {
        let r = report.results.iter().find(|r| r.id == id).unwrap();
        assert_eq!(r.status, Status::Fail, "{id}: {:?}", r.message);
        assert!(r.curl.is_some() && r.expected.is_some() && r.actual.is_some());
    }
    let r = report
        .results
        .iter()
        .find(|r| r.id == "presence/auth/no-credentials-is-401")
        .unwrap();
    assert!(
        r.exchanges[0].request_headers.is_empty(),
        "a no-credentials request carried headers"
    );
}

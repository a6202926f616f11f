//! The verdict can be trusted: a run that cannot judge its target says why in its first lines
//! and exits 2, never 1 and never with a check reported as failed; a target that stops
//! answering ends the run quickly; a failure's curl line is the request the verdict is about;
//! one administrator's credentials are enough for the whole catalog.

mod common;
mod support;

use std::{
    process::{Command, Output},
    time::{Duration, Instant},
};

use common::{stub, Misbehaviour};
use conformance::{
    config::{Config, Credentials},
    runner::{self, Quiet},
    vocabulary::Status,
};

/// The suite's binary, as a person runs it (not as CI: no `CI` variable).
fn bin() -> Command {
    let mut c = common::bin();
    c.env_remove("CI");
    c
}

/// The binary against `url` with a token pair.
fn with_token(url: &str) -> Command {
    let mut c = bin();
    c.args([
        "--url",
        url,
        "--user-id",
        "u1",
        "--auth-token",
        "t0k3n-1234",
    ]);
    c
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit 2, the cause in the first lines of stderr (and of the report when there is one), no
/// check failed.
fn assert_not_judged(out: &Output, cause: &str) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let first = stderr.lines().next().unwrap_or("");
    assert!(
        first.contains(cause),
        "the first line of stderr does not name {cause:?}:\n{stderr}"
    );
    if !stdout.is_empty() {
        let head: Vec<&str> = stdout.lines().take(4).collect();
        assert!(
            head.iter().any(|l| l.contains(cause)),
            "the report's first lines do not name {cause:?}:\n{stdout}"
        );
        assert!(stdout.contains("RESULT: NOT JUDGED"), "{stdout}");
    }
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            !line.starts_with("FAIL")
                && !line.contains("] FAIL ")
                && !line.contains("NOT conformant"),
            "a check was reported as failed: {line}"
        );
    }
}

#[test]
fn set_up_problems_are_not_verdicts() {
    let server = common::start_reference();
    let url = server.url.as_str();
    let free_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let unreachable = format!("http://127.0.0.1:{free_port}");
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "a wrong token",
            vec![
                "--url",
                url,
                "--user-id",
                "aobEdbYhXfu5hkeqG",
                "--auth-token",
                "WRONGTOKEN",
            ],
            "the credentials were refused",
        ),
        (
            "a wrong password",
            vec![
                "--url",
                url,
                "--username",
                "normal.user",
                "--password",
                "not-the-password",
            ],
            "the credentials were refused",
        ),
        ("no credentials", vec!["--url", url], "no credentials"),
        (
            "an unreachable port",
            vec!["--url", &unreachable, "--username", "u", "--password", "p"],
            "the target is unreachable",
        ),
        (
            "not a URL",
            vec!["--url", "not-a-url", "--username", "u", "--password", "p"],
            "is not a URL",
        ),
        (
            "a filter that matches nothing",
            vec![
                "--url",
                url,
                "--username",
                "normal.user",
                "--password",
                "rocket.chat",
                "--filter",
                "nosuchcheck/",
            ],
            "no check selected",
        ),
    ];
    for (what, args, cause) in cases {
        let out = bin().args(&args).output().unwrap();
        eprintln!("{what}: {}", text(&out.stderr).lines().next().unwrap_or(""));
        assert_not_judged(&out, cause);
    }
    // The flag to fix is named, and test control is still detected.
    let out = bin()
        .args([
            "--url",
            url,
            "--username",
            "normal.user",
            "--password",
            "nope",
        ])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains("fix --username/--password"), "{stdout}");
    assert!(stdout.contains("test control yes"), "{stdout}");
    let out = bin()
        .args([
            "--url",
            url,
            "--user-id",
            "aobEdbYhXfu5hkeqG",
            "--auth-token",
            "WRONGTOKEN",
        ])
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("fix --user-id/--auth-token"));
}

/// A target that answers `/api/info` and nothing else: set-up ends after two timeouts (the
/// test-control probe, the token check), exit 2, "stopped answering".
#[test]
fn a_target_that_never_answers_the_api_ends_the_run_quickly() {
    let s = stub(Misbehaviour::HangAfterInfo);
    let started = Instant::now();
    let out = with_token(&s.url)
        .args(["--timeout", "1"])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_not_judged(&out, "the target stopped answering");
    assert!(text(&out.stdout).contains("timed out after 1 s"));
}

/// A target whose API hangs after a good set-up: three timeouts in a row stop the run; the
/// checks behind them and every check left are not run, and the run is not judged.
#[test]
fn three_timeouts_in_a_row_stop_the_run() {
    let s = stub(Misbehaviour::Hang);
    let mut c = Config::new(&s.url);
    c.credentials = Some(Credentials::Token {
        user_id: "stubUser".into(),
        auth_token: "stub-secret-token-123".into(),
    });
    c.http.timeout = Duration::from_millis(300);
    c.seed = Some(1);
    let started = Instant::now();
    let report = runner::run(&c, &mut Quiet);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let stopped = report.stopped.clone().unwrap_or_default();
    assert!(
        stopped.contains("the target stopped answering: 3 requests in a row timed out"),
        "{stopped}"
    );
    assert_eq!(
        report.summary.fail + report.summary.error,
        0,
        "{:?}",
        report.summary
    );
    // Every check that needed the target was not run; those that skip for want of credentials
    // or test control, or do not apply to the version line, need no request to say so.
    let s = &report.summary;
    assert!(s.not_run > 0, "{s:?}");
    assert_eq!(s.not_run + s.skip + s.not_applicable, report.results.len());
    assert_eq!(report.exit_code(), 2);
    let first = &report.results[0];
    assert!(first
        .message
        .as_deref()
        .unwrap()
        .starts_with("not run: the target stopped answering"));
    assert!(
        first
            .notes
            .iter()
            .any(|n| n.contains("timed out after 0.3 s")),
        "{:?}",
        first.notes
    );
}

/// `presence/delta/lists-user-who-logged-in` logs the second user in, asks for the delta, then
/// logs the extra session out: when the delta is wrong, the curl line is the delta request,
/// not the clean-up.
#[test]
fn the_curl_line_is_the_request_the_verdict_is_about() {
    let server = common::start_reference();
    let defect = support::defects::DEFECTS
        .iter()
        .find(|d| d.name == "presence-delta-ignores-changes")
        .unwrap();
    let proxy = support::proxy::Proxy::start(&server.url, Some(defect));
    let mut c = common::reference_config(&proxy.url);
    c.filters = vec!["presence/delta/lists-user-who-logged-in".into()];
    let report = runner::run(&c, &mut Quiet);
    let r = report
        .results
        .iter()
        .find(|r| r.id == "presence/delta/lists-user-who-logged-in")
        .unwrap();
    assert_eq!(r.status, Status::Fail, "{:?}", r.message);
    let curl = r.curl.as_deref().unwrap();
    assert!(curl.contains("/api/v1/users.presence?from="), "{curl}");
    let last = r.exchanges.last().unwrap();
    assert!(
        last.url.ends_with("/api/v1/logout") && last.cleanup,
        "{last:?}"
    );
}

/// With only an administrator's credentials the suite makes its own caller and second user:
/// every check runs and passes against the reference server, and nothing is left behind.
#[test]
fn one_admin_is_enough() {
    let server = common::start_reference();
    let admin = "rocketchat.internal.admin.test";
    let mut c = Config::new(&server.url);
    c.admin_credentials = Some(Credentials::Login {
        username: admin.into(),
        password: admin.into(),
    });
    c.seed = Some(42);
    c.cases = 8;
    let report = runner::run(&c, &mut Quiet);
    for r in &report.results {
        assert!(
            matches!(r.status, Status::Pass | Status::NotApplicable),
            "{}: {} {:?}",
            r.id,
            r.status,
            r.message
        );
    }
    assert_eq!(report.summary.skip, 0);
    assert_eq!(report.exit_code(), 0);
    let managed = report.managed.clone().unwrap();
    assert!(managed.cleanup_succeeded, "{:?}", managed.created);
    let made: Vec<&str> = managed
        .created
        .iter()
        .filter(|c| c.check == "(set-up)")
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        made,
        [
            format!("{}caller", managed.prefix),
            format!("{}second", managed.prefix)
        ]
    );
    assert_eq!(report.target.caller_admin, Some(false));
}

/// Targets that are not Rocket.Chat APIs, or whose answers are too large, are diagnosed before
/// any check runs.
#[test]
fn foreign_targets_are_diagnosed_up_front() {
    for (m, cause, detail) in [
        (
            Misbehaviour::HtmlSite,
            "the target is not a Rocket.Chat API",
            "text/html",
        ),
        (
            Misbehaviour::Unauthorized,
            "the target is not a Rocket.Chat API",
            "answered 401",
        ),
        (
            Misbehaviour::EnormousInfo,
            "an answer was too large",
            "--max-body-bytes",
        ),
    ] {
        let s = stub(m);
        let out = with_token(&s.url).output().unwrap();
        assert_not_judged(&out, cause);
        assert!(
            text(&out.stdout).contains(detail),
            "{m:?}: {}",
            text(&out.stdout)
        );
    }
}

/// `--max-duration` bounds the whole run: the checks not reached are not run.
#[test]
fn max_duration_bounds_the_run() {
    let server = common::start_reference();
    let mut c = common::reference_config(&server.url);
    c.max_duration = Some(Duration::from_nanos(1));
    let report = runner::run(&c, &mut Quiet);
    assert!(report
        .stopped
        .as_deref()
        .unwrap()
        .contains("--max-duration"));
    // A check that does not apply to the version line needs no request to say so.
    assert_eq!(
        report.summary.not_run + report.summary.not_applicable,
        report.results.len(),
        "{:?}",
        report.summary
    );
    assert!(report.summary.not_run > 0);
    assert_eq!(report.exit_code(), 2);
}

/// `--list` lists what `--filter`, `--skip` and `--level` select, in aligned columns; an empty
/// selection is a usage error.
#[test]
fn list_honours_the_selection() {
    let out = bin()
        .args(["--list", "--filter", "presence/cutoff/", "--level", "must"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list = text(&out.stdout);
    let rows: Vec<&str> = list
        .lines()
        .filter(|l| l.starts_with("MUST") || l.starts_with("SHOULD"))
        .collect();
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(row.starts_with("MUST   presence/cutoff/"), "{row}");
    }
    let column = |row: &str| row.find("needs ").unwrap();
    assert!(rows.iter().all(|r| column(r) == column(rows[0])), "{list}");
    assert!(
        list.contains(&format!("selected of {}", conformance::catalog().len())),
        "{list}"
    );
    let out = bin()
        .args(["--list", "--skip", "presence/,directory/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no check selected"));
}

/// Removals stall for 10 s: a run interrupted once is still cleaning up when the second
/// interrupt arrives.
static SLOW_REMOVAL: support::defects::Defect = support::defects::Defect {
    name: "slow-removal",
    area: "auth",
    description: "users.delete answers after 10 s",
    request: |q, _| {
        if q.is("/api/v1/users.delete") {
            std::thread::sleep(Duration::from_secs(10));
        }
        None
    },
    response: |_, _, _| {},
};

/// A second Ctrl-C exits at once, after printing what is left behind and how to remove it.
#[cfg(unix)]
#[test]
fn a_second_interrupt_says_what_is_left_behind() {
    use std::io::BufRead;

    let server = common::start_reference();
    let proxy = support::proxy::Proxy::start(&server.url, Some(&SLOW_REMOVAL));
    let admin = "rocketchat.internal.admin.test";
    let mut child = bin()
        .args([
            "--url",
            &proxy.url,
            "--admin-username",
            admin,
            "--admin-password",
            admin,
        ])
        .args(["--filter", "directory/managed/model-based-run"])
        .args(["--model-sequences", "1000000", "--seed", "7"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut wait_for = |text: &str| {
        while !seen.contains(text) {
            let mut line = String::new();
            let n = stderr.read_line(&mut line).unwrap();
            assert!(n > 0, "the run ended before {text:?}: {seen}");
            seen.push_str(&line);
        }
    };
    let interrupt = || {
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
    };
    // Set-up made the caller and the second user; then the run prints its seed.
    wait_for("seed 7");
    interrupt();
    // The first interrupt: the run stops the check and starts removing (each removal stalls).
    wait_for("interrupted: finishing the request in flight");
    interrupt();
    wait_for("interrupted again: exiting without cleanup");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(rest.contains("left behind on the target"), "{rest}");
    assert!(rest.contains("managed mode's prefix: conf-"), "{rest}");
    assert!(rest.contains("caller ("), "{rest}");
    assert!(rest.contains("/api/v1/users.delete"), "{rest}");
    assert!(
        rest.contains("\"X-Auth-Token: $X_AUTH_TOKEN\"")
            || rest.contains("\"X-Auth-Token: $ADMIN_AUTH_TOKEN\""),
        "{rest}"
    );
}

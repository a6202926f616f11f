//! Version lines: the suite judges a target by the Rocket.Chat version it is told or that the
//! target reports, and the reference server can behave as any line. Every line passes the whole
//! catalog when judged as itself; judged as another line it fails exactly the checks whose
//! expectation differs between the two lines (the table in `differences` below, written from
//! the contract's version table, not from the suite's code); checks whose rule does not exist
//! on the line chosen are not applicable.

mod common;

use std::collections::BTreeSet;

use conformance::{
    refserver::ReferenceServer,
    runner::{self, Quiet, Report},
    vocabulary::Status,
};

fn judged_as(version: Option<&str>) -> Report {
    let server = common::start_reference();
    let mut config = common::reference_config(&server.url);
    config.rocketchat_version = version.map(str::to_owned);
    config.cases = 8;
    config.model_sequences = 4;
    runner::run(&config, &mut Quiet)
}

fn ids(report: &Report, status: Status) -> BTreeSet<&str> {
    report
        .results
        .iter()
        .filter(|r| r.status == status)
        .map(|r| r.id.as_str())
        .collect()
}

#[test]
fn the_reference_server_is_judged_by_the_version_it_reports() {
    let report = judged_as(None);
    let judged = report.target.judged_as.clone().unwrap();
    assert_eq!(judged.line.name(), "8.6+");
    assert!(
        judged.chosen_by.contains("/api/info says 8.6"),
        "{judged:?}"
    );
    assert_eq!(ids(&report, Status::Fail), BTreeSet::new());
    assert_eq!(
        ids(&report, Status::NotApplicable),
        BTreeSet::from(["directory/params/query-form"])
    );
}

#[test]
fn judged_as_6_x_the_query_form_is_the_rule_and_the_top_level_form_is_not() {
    let report = judged_as(Some("6.13.1"));
    assert_eq!(
        ids(&report, Status::NotApplicable),
        BTreeSet::from([
            "directory/params/top-level-form",
            "presence/params/repeated-from-is-400"
        ])
    );
    assert_eq!(
        report.config.directory_form, None,
        "no form was given: the line chose it"
    );
}

#[test]
fn judged_as_8_4_the_comma_form_of_ids_is_not_applicable() {
    let report = judged_as(Some("8.4.2"));
    assert!(ids(&report, Status::NotApplicable).contains("presence/ids/comma-separated"));
}

/// The lines, oldest first, each as a release of it.
const LINES: [&str; 6] = ["5.4", "6.13", "7.10", "8.4", "8.5", "8.6"];

fn rank(version: &str) -> usize {
    LINES.iter().position(|v| *v == version).unwrap()
}

/// The checks a server of release `server` must fail when judged as `judged`, from the
/// contract's version table: what one line does and the other does not.
fn differences(server: &str, judged: &str) -> BTreeSet<&'static str> {
    let (s, j) = (rank(server), rank(judged));
    let (v6, v7, v8_4, v8_6) = (1, 2, 3, 5);
    let mut out = BTreeSet::new();
    let mut when = |cond: bool, ids: &[&'static str]| {
        if cond {
            out.extend(ids);
        }
    };
    // Unknown presence parameters: 400 from 8.4, ignored before.
    when(
        (s >= v8_4) != (j >= v8_4),
        &["presence/params/unknown-is-400"],
    );
    // A repeated from: 400 from 8.4 (a rule only there).
    when(
        s < v8_4 && j >= v8_4,
        &["presence/params/repeated-from-is-400"],
    );
    // 8.6 projects statusSource and statusExpiresAt, which older lines must not send.
    when(
        s >= v8_6 && j < v8_6,
        &["presence/users/only-projected-keys"],
    );
    // 8.6's presence engine shows a busy or away set over REST as offline; older lines (and the
    // checks judging by them) count on it sticking. (Judged as 8.6+, the suite does not count
    // on either, so an older server passes those checks.)
    when(
        s >= v8_6 && j < v8_6,
        &[
            "presence/managed/delta-contains-changed-user",
            "presence/managed/ids-leaves-out-offline-without-status-text",
            "presence/managed/model-based-run",
        ],
    );
    // ids and offline users with a status text: listed from 8.6, left out before.
    when(
        (s >= v8_6) != (j >= v8_6),
        &["presence/managed/ids-offline-with-status-text"],
    );
    // 8.4's regression: ids=a,b answers nobody.
    when(
        s == v8_4 && j != v8_4,
        &[
            "presence/ids/comma-separated",
            "presence/managed/ids-leaves-out-offline-without-status-text",
        ],
    );
    // Presence_broadcast_disabled exists from 6.x.
    when(
        s < v6 && j >= v6,
        &["presence/settings/broadcast-disabled-is-empty-full"],
    );
    // The four-key 401 from 7.0 (a 7.0+ body still has 6.x's status and message).
    when(
        s < v7 && j >= v7,
        &[
            "presence/auth/unauthorized-envelope",
            "directory/auth/unauthorized-envelope",
        ],
    );
    // Top-level criteria from 7.0; before, the schema refuses them.
    when(s < v7 && j >= v7, &["directory/params/top-level-form"]);
    out
}

/// Starts the reference server as `server` and judges it as every line.
fn judge_server_as_every_line(server: &str) {
    let reference = ReferenceServer::start_with(
        &common::reference_bin(),
        &common::root().join("fixtures/default.json"),
        true,
        Some(server),
    )
    .expect("reference server starts");
    for judged in LINES {
        let mut config = common::reference_config(&reference.url);
        config.rocketchat_version = Some(judged.to_owned());
        config.cases = 8;
        config.model_sequences = 4;
        let report = runner::run(&config, &mut Quiet);
        let mut failed = ids(&report, Status::Fail);
        failed.extend(ids(&report, Status::Error));
        let expected = differences(server, judged);
        let console = conformance::report::console(&report);
        if rank(server) < 2 && rank(judged) >= 2 {
            // Judged as 7.0+, the suite sends directory criteria at the top level, which a 6.x
            // server refuses: every directory check that searches fails with them.
            assert!(
                failed.is_superset(&expected),
                "server {server} judged as {judged}:\n{console}"
            );
            for extra in failed.difference(&expected) {
                assert!(
                    extra.starts_with("directory/")
                        || *extra == "presence/delta/covers-offline-users",
                    "server {server} judged as {judged}: {extra} failed\n{console}"
                );
            }
        } else {
            assert_eq!(
                failed, expected,
                "server {server} judged as {judged}:\n{console}"
            );
        }
        let judged_line = &report.target.judged_as.as_ref().unwrap().line;
        for result in report
            .results
            .iter()
            .filter(|r| expected.contains(r.id.as_str()))
        {
            let message = result.message.as_deref().unwrap_or_default();
            assert!(
                message.contains(judged_line.name()),
                "the failure of {} names the line judged ({judged_line}): {message}",
                result.id
            );
        }
    }
}

#[test]
fn a_5_x_server_judged_as_every_line() {
    judge_server_as_every_line("5.4");
}

#[test]
fn a_6_x_server_judged_as_every_line() {
    judge_server_as_every_line("6.13");
}

#[test]
fn a_7_10_server_judged_as_every_line() {
    judge_server_as_every_line("7.10");
}

#[test]
fn an_8_4_server_judged_as_every_line() {
    judge_server_as_every_line("8.4");
}

#[test]
fn an_8_5_server_judged_as_every_line() {
    judge_server_as_every_line("8.5");
}

#[test]
fn an_8_6_server_judged_as_every_line() {
    judge_server_as_every_line("8.6");
}

#[test]
fn a_server_is_judged_by_the_release_api_info_reports() {
    let reference = ReferenceServer::start_with(
        &common::reference_bin(),
        &common::root().join("fixtures/default.json"),
        true,
        Some("7.10.2"),
    )
    .unwrap();
    let mut config = common::reference_config(&reference.url);
    config.filters = vec!["presence/params/".into()];
    let report = runner::run(&config, &mut Quiet);
    let judged = report.target.judged_as.clone().unwrap();
    assert_eq!(judged.line.name(), "7.0-8.3");
    assert!(judged.chosen_by.contains("7.10.2"), "{judged:?}");
    assert_eq!(ids(&report, Status::Fail), BTreeSet::new());
}

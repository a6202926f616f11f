//! Version lines: the suite judges a target by the Rocket.Chat version it is told or that the
//! target reports. The reference server behaves as 8.6+; judged as another line it fails
//! exactly the checks whose expectation differs between the two lines, and the checks whose
//! rule does not exist on the line chosen are not applicable.

mod common;

use std::collections::BTreeSet;

use conformance::{
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
fn an_8_6_server_judged_as_7_10_fails_exactly_what_differs() {
    let report = judged_as(Some("7.10"));
    assert_eq!(
        report.target.judged_as.clone().unwrap().line.name(),
        "7.0-8.3"
    );
    assert_eq!(
        ids(&report, Status::Fail),
        BTreeSet::from(["presence/params/unknown-is-400"]),
        "{}",
        conformance::report::console(&report)
    );
    let failure = report
        .results
        .iter()
        .find(|r| r.id == "presence/params/unknown-is-400")
        .unwrap();
    assert!(failure
        .message
        .as_deref()
        .unwrap()
        .contains("7.0-8.3 ignores unknown parameters"));
    assert_eq!(
        ids(&report, Status::NotApplicable),
        BTreeSet::from([
            "directory/params/query-form",
            "presence/params/repeated-from-is-400"
        ])
    );
}

#[test]
fn judged_as_6_x_the_query_form_is_the_rule_and_the_top_level_form_is_not() {
    let report = judged_as(Some("6.13.1"));
    assert_eq!(
        ids(&report, Status::Fail),
        BTreeSet::from(["presence/params/unknown-is-400"])
    );
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
    assert_eq!(ids(&report, Status::Fail), BTreeSet::new());
    assert!(ids(&report, Status::NotApplicable).contains("presence/ids/comma-separated"));
}

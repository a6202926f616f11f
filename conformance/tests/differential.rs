//! Differential mode: the reference server compared with another instance of itself gives no
//! divergence, whatever the seed; behind a defect it diverges, with the defect's check named;
//! the command line reports, allows and exits as documented.

mod common;
mod support;

use std::collections::BTreeMap;

use conformance::differential::{self, Side};
use conformance::runner::{self, Quiet, Report};
use support::{defects::DEFECTS, proxy::Proxy};

use common::bin;

fn run(url: &str, seed: u64) -> Report {
    let mut config = common::reference_config(url);
    config.seed = Some(seed);
    config.cases = 16;
    runner::run(&config, &mut Quiet)
}

#[test]
fn the_reference_server_does_not_diverge_from_itself() {
    let (a, b) = (common::start_reference(), common::start_reference());
    for seed in [1, 20261208, 987_654_321] {
        let divergences =
            differential::compare(&run(&a.url, seed), &run(&b.url, seed), &BTreeMap::new());
        assert!(
            divergences.is_empty(),
            "seed {seed}: {}",
            serde_json::to_string_pretty(&divergences).unwrap()
        );
    }
}

/// An honest reference server, and another behind the proxy with the named defect (the server
/// is returned so that it runs as long as the proxy).
fn honest_and_defective(
    defect: &str,
) -> (
    conformance::refserver::ReferenceServer,
    conformance::refserver::ReferenceServer,
    Proxy,
) {
    let defect = DEFECTS.iter().find(|d| d.name == defect).unwrap();
    let (honest, broken) = (common::start_reference(), common::start_reference());
    let proxy = Proxy::start(&broken.url, Some(defect));
    (honest, broken, proxy)
}

#[test]
fn a_defect_diverges_and_the_model_sides_with_the_honest_server() {
    let (honest, _broken, proxy) = honest_and_defective("presence-delta-includes-caller");
    let target = run(&proxy.url, 7);
    let other = run(&honest.url, 7);
    let divergences = differential::compare(&target, &other, &BTreeMap::new());
    let verdicts: Vec<_> = divergences
        .iter()
        .filter(|d| d.aspect == "verdict")
        .collect();
    assert!(!verdicts.is_empty(), "{divergences:#?}");
    let answered = divergences
        .iter()
        .find(|d| d.target_answer.is_some())
        .expect("a divergence of an answer");
    assert!(
        answered
            .target_answer
            .as_deref()
            .unwrap()
            .starts_with("200 {")
            && answered
                .other_answer
                .as_deref()
                .unwrap()
                .starts_with("200 {"),
        "{answered:#?}"
    );
    for d in &verdicts {
        assert_eq!(d.model_agrees_with, Some(Side::Other), "{d:#?}");
        assert!(
            d.id.ends_with(":verdict") && d.id.starts_with("presence/"),
            "{}",
            d.id
        );
    }
    assert_eq!(differential::exit_code(&target, &other, &divergences), 1);
    // The same run with every divergence allowed passes.
    let allowed: BTreeMap<String, String> = divergences
        .iter()
        .map(|d| (d.id.clone(), "known".to_owned()))
        .collect();
    let accepted = differential::compare(&target, &other, &allowed);
    assert_eq!(differential::unallowed(&accepted), 0);
    assert_eq!(differential::exit_code(&target, &other, &accepted), 0);
}

#[test]
fn the_command_line_compares_two_servers_and_writes_the_divergences() {
    let (a, b) = (common::start_reference(), common::start_reference());
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let admin = "rocketchat.internal.admin.test";
    let out = bin()
        .args(["--url", &a.url, "--compare-with", &b.url])
        .args(["--username", admin, "--password", admin])
        .args(["--admin-username", admin, "--admin-password", admin])
        .args([
            "--second-username",
            "normal.user",
            "--second-password",
            "rocket.chat",
        ])
        .args(["--filter", "presence/from", "--seed", "5"])
        .arg("--json")
        .arg(&json)
        .env("CI", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("DIFFERENTIAL: compared with {}", b.url)),
        "{stdout}"
    );
    assert!(stdout.contains("0 divergence(s), 0 allowed"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["divergences"], serde_json::json!([]));
    assert_eq!(report["compared_with"]["seed"], serde_json::json!(5));
    assert_eq!(
        report["compared_with"]["target"]["url"],
        serde_json::json!(b.url)
    );
}

#[test]
fn a_bad_compare_url_or_allow_file_is_a_usage_error() {
    let out = bin()
        .args(["--url", "http://127.0.0.1:9", "--compare-with", "ftp://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--compare-with \"ftp://x\""), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "presence/x:verdict\n").unwrap();
    let out = bin()
        .args([
            "--url",
            "http://127.0.0.1:9",
            "--compare-with",
            "http://127.0.0.1:9",
        ])
        .arg("--allow-divergence")
        .arg(&allow)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("allow.txt"), "{stderr}");
}

#[test]
fn two_version_lines_diverge_exactly_where_rocket_chat_changed_between_them() {
    let newest = common::start_reference();
    let older = conformance::refserver::ReferenceServer::start_with(
        &common::reference_bin(),
        &common::root().join("fixtures/default.json"),
        true,
        Some("7.10.0"),
    )
    .unwrap();
    let divergences = differential::compare(
        &run(&newest.url, 11),
        &run(&older.url, 11),
        &BTreeMap::new(),
    );
    let checks: std::collections::BTreeSet<&str> =
        divergences.iter().map(|d| d.check.as_str()).collect();
    // From 8.4 unknown parameters are refused with a 400 (ignored before): the checks that send
    // one to get an error answer, and the check of the rule itself; the repeated-`from` check,
    // whose rule exists only from 8.4, is N/A on 7.10; from 8.4 a parameter-validation 400
    // says `error-invalid-params` where 7.x says `invalid-params`; and from 8.6 a human's
    // `away` or `busy` set over REST shows as `offline` and an offline user with a status text
    // is listed under `ids`, which the presence model-based run's answers show by value.
    assert_eq!(
        checks.into_iter().collect::<Vec<_>>(),
        [
            "directory/params/count-not-a-number-is-400",
            "directory/params/unknown-is-400",
            "directory/property/malformed-params-never-5xx",
            "presence/content-type/exactly-application-json",
            "presence/content-type/json",
            "presence/managed/model-based-run",
            "presence/params/repeated-from-is-400",
            "presence/params/unknown-is-400",
            "presence/property/malformed-params-never-5xx",
        ],
        "{divergences:#?}"
    );
    let not_applicable = divergences
        .iter()
        .find(|d| d.id == "presence/params/repeated-from-is-400:verdict")
        .unwrap();
    assert!(
        not_applicable.other.starts_with("N/A"),
        "{not_applicable:?}"
    );
    assert_eq!(not_applicable.model_agrees_with, None);
}

#[test]
fn a_model_run_divergence_is_shrunk_on_both_servers_and_its_script_replays_it_on_each() {
    let (honest, _broken, proxy) = honest_and_defective("presence-delta-includes-caller");
    let config = |url: &str| {
        let mut c = common::reference_config(url);
        c.seed = Some(42);
        c.filters = vec!["presence/managed/model-based-run".into()];
        c.model_shrink_ms = 30_000;
        c
    };
    let (t_config, o_config) = (config(&proxy.url), config(&honest.url));
    let (target, other) = (
        runner::run(&t_config, &mut Quiet),
        runner::run(&o_config, &mut Quiet),
    );
    let mut divergences = differential::compare(&target, &other, &BTreeMap::new());
    assert!(
        divergences.iter().any(|d| d.sequence.is_some()),
        "{divergences:#?}"
    );
    conformance::differential_shrink::shrink_model_divergences(
        &t_config,
        &o_config,
        &target,
        &other,
        &mut divergences,
        &mut |_| {},
    );
    let d = divergences.iter().find(|d| d.sequence.is_some()).unwrap();
    let steps = d.minimal_sequence.as_deref().unwrap();
    assert!(
        steps.contains("re-checked on both servers, it shows: presence/managed/model-based-run"),
        "{steps}"
    );
    // Create a user, take a from, ask for the delta as that user: three steps suffice.
    let numbered = steps
        .lines()
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(numbered, 3, "{steps}");
    let script = d.replay_script.as_deref().unwrap();
    if !common::has_jq() {
        return;
    }
    // The defect lists the caller, the script's one user, in the delta; the honest server does
    // not.
    let replayed_users = |answer: &serde_json::Value| {
        answer["users"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["username"].as_str().unwrap_or("").starts_with("replay-"))
            .count()
    };
    let (on_target, on_other) = (
        common::replay(script, &proxy.url),
        common::replay(script, &honest.url),
    );
    assert_eq!(replayed_users(&on_target), 1, "{on_target}");
    assert_eq!(replayed_users(&on_other), 0, "{on_other}");
}

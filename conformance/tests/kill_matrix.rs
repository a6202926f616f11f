//! The kill matrix: the whole catalog against an honest proxy in front of the
//! reference server (every check passes), then against each defect of
//! `support/defects.rs` (one per run, each on its own reference server). Asserts that every
//! defect makes at least one check Fail (the stall defect: an Error naming the check whose
//! request timed out), and that every check is failed by at least one defect or carries a
//! written `kill_exemption`. Writes the result to `conformance/kill-matrix.json` and
//! `docs/kill-matrix.md`, which are committed: in CI a stale copy fails the test, locally the
//! test rewrites it.

mod common;
mod support;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    thread,
    time::{Duration, Instant},
};

use conformance::{
    kill_matrix::{DefectEntry, Matrix},
    runner::{self, Quiet, Report},
    versions::Line,
    vocabulary::Status,
};
use support::{
    defects::{Defect, DEFECTS, STALL},
    proxy::Proxy,
};

/// Cases per property in the matrix (the default is 32; the matrix runs the catalog ~50 times).
const CASES: u32 = 16;
/// Parallel runs (each with its own reference server and proxy).
const WORKERS: usize = 3;

fn run_through_proxy(defect: Option<&'static Defect>) -> Report {
    run_judged_as(defect, None, Vec::new())
}

/// The catalog (or the `only` checks) through the proxy, the target judged as `version` (by
/// default the version it reports, the newest line).
fn run_judged_as(
    defect: Option<&'static Defect>,
    version: Option<&str>,
    only: Vec<String>,
) -> Report {
    let server = common::start_reference();
    let proxy = Proxy::start(&server.url, defect);
    let mut config = common::reference_config(&proxy.url);
    config.cases = CASES;
    config.rocketchat_version = version.map(str::to_owned);
    config.filters = only;
    // One job: some defects keep state across checks (tokens seen, users set offline), so what
    // a check catches may follow which checks ran before it; the committed matrix must not
    // depend on timing.
    config.jobs = 1;
    if defect.is_some_and(|d| d.name == STALL) {
        config.http.timeout = Duration::from_millis(2500);
    }
    runner::run(&config, &mut Quiet)
}

/// The checks whose rule does not hold on the newest line, each with a release of the newest
/// line it holds for: the matrix runs them judged as that line.
fn older_line_checks() -> Vec<(String, &'static str)> {
    conformance::catalog()
        .into_iter()
        .filter(|c| !c.lines.contains(Line::NEWEST))
        .map(|c| (c.id, c.lines.to.example()))
        .collect()
}

/// What one defect did: the checks it killed, a summary of the non-passing results, and the
/// checks differential mode shows a divergence for.
type DefectRun = (Vec<String>, String, BTreeSet<String>);

/// The checks a defect kills: Fail, or for the stall defect an Error that names the check and
/// says the request timed out.
fn killed(defect: &Defect, report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| {
            if defect.name == STALL {
                r.status == Status::Error
                    && r.message.as_deref().is_some_and(|m| {
                        m.contains("timed out") && m.contains(&format!("(check {};", r.id))
                    })
            } else {
                r.status == Status::Fail
            }
        })
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn every_defect_is_caught_and_every_check_killed() {
    let started = Instant::now();
    // The honest proxy changes nothing.
    let honest = run_through_proxy(None);
    let bad: Vec<String> = honest
        .results
        .iter()
        .filter(|r| r.status != Status::Pass && r.status != Status::NotApplicable)
        .map(|r| format!("{} {}: {:?}", r.status, r.id, r.message))
        .collect();
    assert!(
        honest.setup_error.is_none() && bad.is_empty(),
        "through the honest proxy not every check passed ({:?}):\n{}",
        honest.setup_error,
        bad.join("\n")
    );

    // The checks of older lines, judged as those lines, through the honest proxy: the other
    // server of the defects' differential comparisons.
    let honest_older: Vec<(String, &str, Report)> = older_line_checks()
        .into_iter()
        .map(|(id, version)| {
            let report = run_judged_as(None, Some(version), vec![id.clone()]);
            (id, version, report)
        })
        .collect();

    // Each defect, WORKERS at a time.
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<usize, DefectRun>> = Mutex::default();
    thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(defect) = DEFECTS.get(i) else { break };
                let report = run_through_proxy(Some(defect));
                let mut kills = killed(defect, &report);
                // Differential mode, the honest run as the other server, sees it too.
                let compare = |target: &Report, other: &Report| {
                    conformance::differential::compare(target, other, &BTreeMap::new())
                        .into_iter()
                        .map(|d| d.check)
                };
                let mut diverging: BTreeSet<String> = compare(&report, &honest).collect();
                for (id, version, honest) in &honest_older {
                    let older = run_judged_as(Some(defect), Some(version), vec![id.clone()]);
                    kills.extend(killed(defect, &older));
                    diverging.extend(compare(&older, honest));
                }
                let summary = report
                    .results
                    .iter()
                    .filter(|r| r.status != Status::Pass && r.status != Status::NotApplicable)
                    .map(|r| {
                        format!(
                            "    {} {}: {}",
                            r.status,
                            r.id,
                            r.message.clone().unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let summary = format!(
                    "{}{summary}",
                    report
                        .setup_error
                        .as_ref()
                        .map(|e| format!("    set-up: {e}\n"))
                        .unwrap_or_default()
                );
                results
                    .lock()
                    .unwrap()
                    .insert(i, (kills, summary, diverging));
            });
        }
    });
    let results = results.into_inner().unwrap();

    let catalog = conformance::catalog();
    let mut matrix = Matrix {
        note: "Generated by conformance/tests/kill_matrix.rs (cargo nextest run -p rocketchat-conformance --test kill_matrix); do not edit.".into(),
        ..Matrix::default()
    };
    let mut uncaught = Vec::new();
    // Defects that the honest server, compared with the defective one, shows no divergence for.
    let mut undiverging = Vec::new();
    // Checks whose catches vary between runs: asserted, not recorded.
    let mut varying_kills: BTreeMap<String, usize> = BTreeMap::new();
    for (i, defect) in DEFECTS.iter().enumerate() {
        let (all_kills, summary, diverging) = &results[&i];
        if all_kills.is_empty() {
            uncaught.push(format!(
                "{} ({}); non-passing results:\n{summary}",
                defect.name, defect.description
            ));
        }
        if diverging.is_empty() {
            undiverging.push(defect.name);
        }
        let kills: Vec<String> = all_kills
            .iter()
            .filter(|id| {
                let varies = conformance::kill_matrix::varies(id);
                if varies {
                    *varying_kills.entry((*id).clone()).or_default() += 1;
                }
                !varies
            })
            .cloned()
            .collect();
        for id in &kills {
            matrix
                .checks
                .entry(id.clone())
                .or_default()
                .push(defect.name.to_owned());
        }
        matrix.defects.push(DefectEntry {
            name: defect.name.into(),
            area: defect.area.into(),
            description: defect.description.into(),
            caught_by: kills,
        });
    }
    let mut unkilled = Vec::new();
    for c in &catalog {
        if let Some(why) = c.kill_exemption {
            matrix.exemptions.insert(c.id.clone(), why.into());
        } else if conformance::kill_matrix::varies(&c.id) {
            matrix.varying.insert(
                c.id.clone(),
                conformance::kill_matrix::VARYING_REASON.into(),
            );
            if !varying_kills.contains_key(&c.id) {
                unkilled.push(c.id.clone());
            }
        } else if !matrix.checks.contains_key(&c.id) {
            unkilled.push(c.id.clone());
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "kill matrix: {} defects × {} checks in {elapsed:?}",
        DEFECTS.len(),
        catalog.len()
    );
    assert!(
        undiverging.is_empty(),
        "defects differential mode shows no divergence for: {undiverging:?}"
    );
    assert!(
        uncaught.is_empty() && unkilled.is_empty(),
        "defects no check caught:\n  {}\n\nchecks no defect fails (add a defect, or a kill_exemption with the reason):\n  {}",
        uncaught.join("\n  "),
        unkilled.join("\n  ")
    );

    let root = common::root();
    let stale: Vec<String> = [
        ("conformance/kill-matrix.json", matrix.to_json()),
        ("docs/kill-matrix.md", matrix.to_markdown(&catalog)),
    ]
    .into_iter()
    .filter_map(|(rel, contents)| {
        ensure_file_contents(&root.join(rel), &contents).then(|| rel.to_owned())
    })
    .collect();
    if !stale.is_empty() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "{} stale: run `cargo nextest run -p rocketchat-conformance --test kill_matrix` and commit",
                stale.join(" and ")
            );
        }
        panic!(
            "{} stale and rewritten: review and commit",
            stale.join(" and ")
        );
    }
}

/// `KILL_MATRIX_DEFECT=name cargo nextest run -p rocketchat-conformance --test kill_matrix -- one_defect
/// --no-capture` prints what one defect does to the catalog (for writing defects and checks).
#[test]
fn one_defect() {
    let Ok(name) = std::env::var("KILL_MATRIX_DEFECT") else {
        return;
    };
    let defect = DEFECTS
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no defect {name}"));
    let report = run_through_proxy(Some(defect));
    for r in report.results.iter().filter(|r| r.status != Status::Pass) {
        eprintln!(
            "{} {}: {}\n  expected {:?}\n  actual {:?}",
            r.status,
            r.id,
            r.message.clone().unwrap_or_default(),
            r.expected,
            r.actual
        );
    }
    eprintln!("killed: {:?}", killed(defect, &report));
}

#[test]
fn defect_names_are_unique_and_described() {
    let mut seen = std::collections::HashSet::new();
    for d in DEFECTS {
        assert!(seen.insert(d.name), "duplicate defect {}", d.name);
        assert!(
            d.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}",
            d.name
        );
        assert!(!d.description.is_empty() && !d.description.contains('\n'));
        assert!(matches!(d.area, "presence" | "directory" | "auth"));
    }
}

/// Whether a generated file differs from `contents`; outside CI it is rewritten (and the test
/// still fails once, so the change is noticed and committed).
fn ensure_file_contents(path: &std::path::Path, contents: &str) -> bool {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    if old == contents {
        return false;
    }
    if std::env::var_os("CI").is_none() {
        std::fs::write(path, contents).unwrap();
    }
    true
}

/// The model-based run against one defect: it fails, shrinks the sequence to a few steps, and
/// its curl script replays them (run here when jq is installed; CI installs it).
#[test]
fn a_failing_model_run_is_shrunk_and_its_script_replays_it() {
    let defect = DEFECTS
        .iter()
        .find(|d| d.name == "presence-delta-includes-caller")
        .unwrap();
    let server = common::start_reference();
    let proxy = Proxy::start(&server.url, Some(defect));
    let mut config = common::reference_config(&proxy.url);
    config.filters = vec!["presence/managed/model-based-run".into()];
    config.model_shrink_ms = 30_000;
    let report = runner::run(&config, &mut Quiet);
    let r = report
        .results
        .iter()
        .find(|r| r.id == "presence/managed/model-based-run")
        .unwrap();
    assert_eq!(r.status, Status::Fail, "{:?}", r.message);
    let message = r.message.as_deref().unwrap();
    assert!(message.contains("after this minimal sequence"), "{message}");
    let steps = message
        .lines()
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    // Create a user, take a from, ask for the delta as that user: three steps suffice.
    assert_eq!(steps, 3, "{message}");
    assert!(report.managed.as_ref().unwrap().cleanup_succeeded);
    let script = r
        .notes
        .iter()
        .find_map(|n| n.strip_prefix("replay script (bash; needs curl and jq):\n"))
        .expect("a replay script in the notes");

    if !common::has_jq() {
        return;
    }
    // The last answer is the delta the defect spoiled: it lists the caller.
    let last = common::replay(script, &proxy.url);
    assert_eq!(last["full"], false, "{last}");
    assert!(!last["users"].as_array().unwrap().is_empty(), "{last}");
}

//! The whole catalog against the reference server's binary (default fixtures, test control):
//! every check must pass. Also the shape snapshots of the canonical calls (the seed documents'
//! example calls) and, for the reference server, the whole redacted bodies.

mod common;

use std::time::Instant;

use conformance::{
    context::{Ctx, DirQuery},
    report,
    runner::{self, Quiet},
    shape,
    vocabulary::Status,
};
use serde_json::Value;

#[test]
fn every_check_passes_against_the_reference_server() {
    let server = common::start_reference();
    let config = common::reference_config(&server.url);
    let started = Instant::now();
    let report = runner::run(&config, &mut Quiet);
    let elapsed = started.elapsed();
    let bad: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.status != Status::Pass && r.status != Status::NotApplicable)
        .map(|r| {
            format!(
                "{} {}: {}",
                r.status,
                r.id,
                r.message.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "not every check passed:\n{}\n\n{}",
        bad.join("\n"),
        report::console(&report)
    );
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.target.test_control, Some(true));
    // The reference server says 8.6.0: the documented `query` form is not a rule of that line.
    let na: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.status == Status::NotApplicable)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(na, ["directory/params/query-form"]);
    assert_eq!(report.target.version.as_deref(), Some("8.6.0"));
    assert!(elapsed.as_secs() < 10, "the catalog took {elapsed:?}");
    // The reports render and parse.
    let json: Value = serde_json::from_str(&report::json(&report)).unwrap();
    assert_eq!(
        json["results"].as_array().unwrap().len(),
        report.results.len()
    );
    assert_eq!(json["summary"]["pass"], report.results.len() - 1);
    assert_eq!(json["summary"]["not_applicable"], 1);
    let xml = report::junit(&report);
    assert_eq!(
        xml.matches("<testcase name=").count(),
        report.results.len(),
        "{xml}"
    );
    // No secret leaks into the reports.
    let text = report::json(&report);
    assert!(!text.contains("\"rocket.chat\""), "a password leaked");
    for r in &report.results {
        for x in &r.exchanges {
            for (n, v) in &x.request_headers {
                if n == "X-Auth-Token" {
                    assert!(
                        v.starts_with('$') || v.len() > 20,
                        "token not redacted: {v}"
                    );
                }
            }
        }
    }
}

/// Runs one closure with a context on the reference server (a one-check catalog).
fn with_ctx(
    f: impl Fn(&mut Ctx) -> Result<(), conformance::vocabulary::Verdict> + Send + Sync + 'static,
) {
    let server = common::start_reference();
    let config = common::reference_config(&server.url);
    let check = conformance::catalog::Check {
        id: "test/ad-hoc/snapshot".into(),
        level: conformance::Level::Should,
        sentence: "ad hoc",
        rules: &["test"],
        lines: conformance::versions::Lines::ALL,
        location: std::panic::Location::caller(),
        needs: conformance::vocabulary::Needs::CREDENTIALS,
        kill_exemption: None,
        sharing: conformance::schedule::Sharing::ALONE,
        long: false,
        run: std::sync::Arc::new(f),
    };
    let report = runner::run_checks(&config, &[check], &mut Quiet);
    let r = &report.results[0];
    assert_eq!(
        r.status,
        Status::Pass,
        "{:?} {:?} {:?}",
        r.message,
        r.expected,
        r.actual
    );
}

fn sorted_by_id(mut v: Value, key: &str) -> Value {
    if let Some(Value::Array(items)) = v.get_mut(key) {
        items.sort_by_key(|i| {
            i.get("_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        });
    }
    v
}

#[test]
fn seed_example_shapes() {
    insta::assert_json_snapshot!(
        "seed_presence_shape",
        shape::shape(&shape::presence_seed_example())
    );
    insta::assert_json_snapshot!(
        "seed_directory_users_shape",
        shape::shape(&shape::directory_users_seed_example())
    );
    insta::assert_json_snapshot!(
        "seed_directory_channels_shape",
        shape::shape(&shape::directory_channels_seed_example())
    );
}

#[test]
fn canonical_calls_against_the_reference_server() {
    with_ctx(|ctx| {
        // Fixture times are relative to the server's start, a moment ago: a `from` four
        // minutes back selects the same users on every run.
        let full = Value::Object(ctx.presence(&[])?.body);
        let from =
            conformance::timefmt::FromForm::ZuluMillis.render(ctx.server_now_ms() - 4 * 60_000);
        let delta = Value::Object(ctx.presence(&[("from", &from)])?.body);
        let form = conformance::config::DirectoryForm::Query;
        let users_req = conformance::context::dir_req(
            form,
            &DirQuery::of("users").text("rocket").workspace("local"),
            &[],
        );
        let users = Value::Object(
            ctx.directory_req(users_req, &conformance::context::Auth::Caller)?
                .body,
        );
        let channels_req = conformance::context::dir_req(
            form,
            &DirQuery::of("channels").text("gene"),
            &[("count", "1"), ("offset", "2")],
        );
        let channels = Value::Object(
            ctx.directory_req(channels_req, &conformance::context::Auth::Caller)?
                .body,
        );
        // Shapes (keys and JSON types).
        insta::assert_json_snapshot!("reference_presence_full_shape", shape::shape(&full));
        insta::assert_json_snapshot!("reference_presence_delta_shape", shape::shape(&delta));
        insta::assert_json_snapshot!("reference_directory_users_shape", shape::shape(&users));
        insta::assert_json_snapshot!(
            "reference_directory_channels_shape",
            shape::shape(&channels)
        );
        // Whole bodies, ids sorted where order is unspecified, secrets never present.
        insta::assert_json_snapshot!("reference_presence_full_body", sorted_by_id(full, "users"), { ".users[].statusExpiresAt" => "[relative time]" });
        insta::assert_json_snapshot!("reference_presence_delta_body", sorted_by_id(delta, "users"), { ".users[].statusExpiresAt" => "[relative time]" });
        insta::assert_json_snapshot!("reference_directory_users_body", users, { ".result[].emails" => "[emails]" });
        insta::assert_json_snapshot!("reference_directory_channels_body", channels, { ".result[].lastMessage.ts" => "[relative time]", ".result[].lastMessage._updatedAt" => "[relative time]" });
        Ok(())
    });
}

/// Managed mode against the reference server: every managed check passes, the report lists
/// what was created and says cleanup succeeded, and afterwards the directory (asked as the
/// admin, `text=<prefix>`) finds no user, channel or team with the run's prefix.
#[test]
fn managed_run_leaves_nothing_behind() {
    let server = common::start_reference();
    let mut config = common::reference_config(&server.url);
    config.filters = vec!["presence/managed/".into(), "directory/managed/".into()];
    let report = runner::run(&config, &mut Quiet);
    let ran: Vec<&conformance::CheckResult> = report
        .results
        .iter()
        .filter(|r| r.status != Status::Disabled)
        .collect();
    assert!(ran.len() >= 10, "{} managed checks ran", ran.len());
    for r in &ran {
        assert_eq!(r.status, Status::Pass, "{}: {:?}", r.id, r.message);
    }
    let managed = report.managed.clone().expect("managed mode");
    assert!(managed.prefix.starts_with("conf-") && managed.prefix.len() == 12);
    assert!(managed.created.len() >= 15, "{:?}", managed.created);
    assert!(managed.cleanup_succeeded, "{:?}", managed.created);
    assert!(managed.created.iter().all(|c| c.removed));
    for kind in ["user", "group", "channel", "team"] {
        assert!(
            managed.created.iter().any(|c| c.kind == kind),
            "no {kind} created"
        );
    }
    let json: Value = serde_json::from_str(&report::json(&report)).unwrap();
    assert_eq!(json["managed"]["cleanup_succeeded"], true);

    // Listing afterwards, as the admin, in a run without managed mode.
    let prefix = managed.prefix.clone();
    let mut plain = common::reference_config(&server.url);
    plain.admin_credentials = None;
    let check = conformance::catalog::Check {
        id: "test/ad-hoc/nothing-left".into(),
        level: conformance::Level::Should,
        sentence: "ad hoc",
        rules: &["test"],
        lines: conformance::versions::Lines::ALL,
        location: std::panic::Location::caller(),
        needs: conformance::vocabulary::Needs::CREDENTIALS,
        kill_exemption: None,
        sharing: conformance::schedule::Sharing::ALONE,
        long: false,
        run: std::sync::Arc::new(move |ctx: &mut Ctx| {
            for kind in ["users", "channels", "teams"] {
                let a = ctx.directory(&DirQuery::of(kind).text(&prefix), &[])?;
                if a.total != 0 {
                    return Err(conformance::vocabulary::Verdict::fail(
                        format!("{kind} with {prefix} left"),
                        "total 0",
                        format!("{:?}", a.result),
                    ));
                }
            }
            Ok(())
        }),
    };
    let after = runner::run_checks(&plain, &[check], &mut Quiet);
    let r = &after.results[0];
    assert!(after.managed.is_none());
    assert_eq!(r.status, Status::Pass, "{:?} {:?}", r.message, r.actual);
}

/// A managed check that panics after creating a user is an Error, and its user is removed all
/// the same; with `keep` the user stays (and the report says so).
#[test]
fn managed_cleanup_survives_panics_and_keep_keeps() {
    let server = common::start_reference();
    let panicking = conformance::catalog::Check {
        id: "test/ad-hoc/panics".into(),
        level: conformance::Level::Should,
        sentence: "ad hoc",
        rules: &["test"],
        lines: conformance::versions::Lines::ALL,
        location: std::panic::Location::caller(),
        needs: conformance::vocabulary::Needs::MANAGED,
        kill_exemption: None,
        sharing: conformance::schedule::Sharing::ALONE,
        long: false,
        run: std::sync::Arc::new(|ctx: &mut Ctx| {
            ctx.create_user("boom")?;
            panic!("on purpose");
        }),
    };
    let config = common::reference_config(&server.url);
    let report = runner::run_checks(&config, std::slice::from_ref(&panicking), &mut Quiet);
    assert_eq!(report.results[0].status, Status::Error);
    let m = report.managed.clone().unwrap();
    assert_eq!(m.created.len(), 1);
    assert!(m.cleanup_succeeded && m.created[0].removed, "{m:?}");

    // Without admin credentials a managed check Skips and nothing is created.
    let mut plain = common::reference_config(&server.url);
    plain.admin_credentials = None;
    let report = runner::run_checks(&plain, std::slice::from_ref(&panicking), &mut Quiet);
    assert_eq!(report.results[0].status, Status::Skip);
    assert!(report.results[0]
        .message
        .as_deref()
        .is_some_and(|m| m.contains("--admin-username")));
    assert!(report.managed.is_none());

    let mut keep = common::reference_config(&server.url);
    keep.keep = true;
    let report = runner::run_checks(&keep, &[panicking], &mut Quiet);
    let m = report.managed.clone().unwrap();
    assert!(
        m.keep && !m.cleanup_succeeded && !m.created[0].removed,
        "{m:?}"
    );
    assert!(report::console(&report).contains("kept (--keep)"));
    let name = m.created[0].name.clone();
    with_ctx_at(&server.url, move |ctx| {
        let a = ctx.directory(&DirQuery::of("users").text(&name), &[])?;
        if a.total == 1 {
            Ok(())
        } else {
            Err(conformance::vocabulary::Verdict::fail(
                "kept user",
                "1",
                a.total.to_string(),
            ))
        }
    });
}

/// Runs one closure with a context on a running server, without managed mode.
fn with_ctx_at(
    url: &str,
    f: impl Fn(&mut Ctx) -> Result<(), conformance::vocabulary::Verdict> + Send + Sync + 'static,
) {
    let mut config = common::reference_config(url);
    config.admin_credentials = None;
    let check = conformance::catalog::Check {
        id: "test/ad-hoc/at".into(),
        level: conformance::Level::Should,
        sentence: "ad hoc",
        rules: &["test"],
        lines: conformance::versions::Lines::ALL,
        location: std::panic::Location::caller(),
        needs: conformance::vocabulary::Needs::CREDENTIALS,
        kill_exemption: None,
        sharing: conformance::schedule::Sharing::ALONE,
        long: false,
        run: std::sync::Arc::new(f),
    };
    let report = runner::run_checks(&config, &[check], &mut Quiet);
    let r = &report.results[0];
    assert_eq!(r.status, Status::Pass, "{:?} {:?}", r.message, r.actual);
}

/// Without test control the model-based runs take `from` on the real clock (waiting out the
/// clock estimate's uncertainty), and still agree with the reference server.
#[test]
fn model_based_runs_pass_on_the_real_clock() {
    let server = conformance::refserver::ReferenceServer::start_with(
        &common::reference_bin(),
        &common::root().join("fixtures/default.json"),
        false,
        None,
    )
    .expect("reference server starts");
    let mut config = common::reference_config(&server.url);
    config.filters = vec![
        "presence/managed/model-based-run".into(),
        "directory/managed/model-based-run".into(),
    ];
    config.model_sequences = 3;
    config.model_steps = 12;
    let report = runner::run(&config, &mut Quiet);
    assert_eq!(report.target.test_control, Some(false));
    for id in &config.filters {
        let r = report.results.iter().find(|r| &r.id == id).unwrap();
        assert_eq!(r.status, Status::Pass, "{id}: {:?}", r.message);
        let note = r.notes.join(" ");
        // The directory run leaves the clock alone in any case.
        let clock = if id.starts_with("presence/") {
            "the real clock"
        } else {
            "the clock left alone"
        };
        assert!(
            note.contains("3 sequence(s)") && note.contains(clock),
            "{note}"
        );
    }
    assert!(report.managed.unwrap().cleanup_succeeded);
}

/// A check that changes shared state it did not declare gets an Error naming its declaration,
/// with one job as with many: a wrong declaration shows in every run of the catalog.
#[test]
fn undeclared_changes_to_shared_state_are_errors() {
    use conformance::schedule::Sharing;
    let server = common::start_reference();
    let config = common::reference_config(&server.url);
    let ad_hoc =
        |id: &str, sharing: Sharing, needs, f: fn(&mut Ctx) -> _| conformance::catalog::Check {
            id: id.into(),
            level: conformance::Level::Should,
            sentence: "ad hoc",
            rules: &["test"],
            lines: conformance::versions::Lines::ALL,
            location: std::panic::Location::caller(),
            needs,
            kill_exemption: None,
            sharing,
            long: false,
            run: std::sync::Arc::new(f),
        };
    let checks = [
        ad_hoc(
            "test/ad-hoc/sets-the-clock",
            Sharing::READS_CLOCK_WITH_SLACK,
            conformance::vocabulary::Needs::CREDENTIALS,
            |ctx| ctx.freeze_clock(31_536_000_000),
        ),
        ad_hoc(
            "test/ad-hoc/stops-the-clock",
            Sharing::INDEPENDENT,
            conformance::vocabulary::Needs::CREDENTIALS,
            |ctx| ctx.freeze_clock_on_minute().map(drop),
        ),
        ad_hoc(
            "test/ad-hoc/changes-settings",
            Sharing::STOPS_CLOCK_ON_MINUTE,
            conformance::vocabulary::Needs::CREDENTIALS,
            |ctx| ctx.patch_settings(serde_json::json!({ "API_Default_Count": 7 })),
        ),
        ad_hoc(
            "test/ad-hoc/writes-data",
            Sharing::READS_DATA,
            conformance::vocabulary::Needs::MANAGED,
            |ctx| ctx.create_user("undeclared").map(drop),
        ),
        // Declared: allowed.
        ad_hoc(
            "test/ad-hoc/declared",
            Sharing::WRITES_DATA,
            conformance::vocabulary::Needs::MANAGED,
            |ctx| ctx.create_user("declared").map(drop),
        ),
    ];
    let report = runner::run_checks(&config, &checks, &mut Quiet);
    for r in &report.results[..4] {
        assert_eq!(r.status, Status::Error, "{}: {:?}", r.id, r.message);
        assert!(
            r.message
                .as_deref()
                .is_some_and(|m| m.contains("its declaration in the catalog is wrong")),
            "{}: {:?}",
            r.id,
            r.message
        );
    }
    assert_eq!(
        report.results[4].status,
        Status::Pass,
        "{:?}",
        report.results[4].message
    );
    // What the declared one made is removed.
    assert!(report.managed.unwrap().cleanup_succeeded);
}

/*!
Renders a [`Report`]: the console summary (grouped by endpoint and level, failures with
expected vs actual, the source sentence and a curl line), JUnit XML (one testcase per check,
statuses never merged) and JSON (every result with its exchanges, the target's version, the
clock skew and the redacted configuration). Each renderer is a pure function of the report, so
all are snapshot-tested and a later HTML renderer reads the same data.
*/

use std::{fmt::Write, time::Duration};

use quick_junit::{NonSuccessKind, Property, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use crate::runner::{grouped, Outcome, Report};
use crate::vocabulary::{CheckResult, Status};

/// The console text: header, failures and errors in detail, skips, the summary table.
pub fn console(report: &Report) -> String {
    let mut out = String::new();
    let t = &report.target;
    let skew = t
        .clock_skew
        .map(|s| format!("{:+} ms ± {} ms ({})", s.ms, s.uncertainty_ms, s.method))
        .unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        out,
        "Rocket.Chat conformance (users.presence, directory) against {}\n  version {}, test control {}, clock skew {skew}, seed {}",
        t.url,
        t.version.as_deref().unwrap_or("unknown"),
        match t.test_control {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        },
        report.seed
    );
    if let Some(j) = &t.judged_as {
        let _ = writeln!(out, "  judged as Rocket.Chat {} ({})", j.line, j.chosen_by);
        if let Some(w) = &j.warning {
            let _ = writeln!(out, "  warning: {w}");
        }
    }
    if let Some(e) = &report.setup_error {
        let headline = report
            .setup_problem
            .map(|p| p.headline())
            .unwrap_or("set-up");
        let _ = writeln!(out, "\nSET-UP FAILED ({headline}): {e}\nNo check ran: this says nothing about the target's conformance.");
    }
    if let Some(why) = &report.stopped {
        let _ = writeln!(
            out,
            "\nSTOPPED EARLY: {why}; {} selected checks were not run.",
            report.summary.not_run
        );
    }
    let problems = report.problems();
    if !problems.is_empty() && report.setup_error.is_none() {
        let _ = writeln!(out, "\nFailures and errors:");
        for r in problems {
            let known = r
                .expected_failure
                .as_deref()
                .map(|x| format!(" (known failure: {x})"))
                .unwrap_or_default();
            let _ = writeln!(out, "\n{} [{}] {}{known}", r.status, r.level, r.id);
            let _ = writeln!(out, "  rule:     {}", r.sentence);
            let _ = writeln!(out, "  source:   {}", r.source);
            let _ = writeln!(out, "  code:     {}", r.code);
            if let Some(m) = &r.message {
                let _ = writeln!(out, "  problem:  {m}");
            }
            if let Some(e) = &r.expected {
                let _ = writeln!(out, "  expected: {e}");
            }
            if let Some(a) = &r.actual {
                let _ = writeln!(out, "  actual:   {a}");
            }
            if let Some(c) = &r.curl {
                let _ = writeln!(out, "  curl:     {c}");
            }
            for note in &r.notes {
                let _ = writeln!(out, "  note:     {}", note.replace('\n', "\n            "));
            }
        }
    }
    let model_runs: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| r.id.ends_with("/model-based-run") && r.status == Status::Pass)
        .collect();
    if !model_runs.is_empty() {
        let _ = writeln!(out, "\nModel-based runs:");
        for r in model_runs {
            let _ = writeln!(out, "  {} — {}", r.id, r.notes.join("; "));
        }
    }
    let skipped: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Skip)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "\nSkipped:");
        for r in skipped {
            let _ = writeln!(out, "  {} — {}", r.id, r.message.as_deref().unwrap_or(""));
        }
    }
    let _ = writeln!(
        out,
        "\n{:<22}{:>6}{:>6}{:>7}{:>6}{:>10}{:>9}{:>5}",
        "endpoint / level", "pass", "fail", "error", "skip", "disabled", "not run", "n/a"
    );
    for ((endpoint, level), s) in grouped(&report.results) {
        let _ = writeln!(
            out,
            "{:<22}{:>6}{:>6}{:>7}{:>6}{:>10}{:>9}{:>5}",
            format!("{endpoint} {level}"),
            s.pass,
            s.fail,
            s.error,
            s.skip,
            s.disabled,
            s.not_run,
            s.not_applicable
        );
    }
    let s = &report.summary;
    let known = if s.expected_failures > 0 {
        format!(", {} known failures", s.expected_failures)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n{} checks: {} passed, {} failed, {} errored, {} skipped, {} disabled, {} not run, {} not applicable{known}",
        s.total, s.pass, s.fail, s.error, s.skip, s.disabled, s.not_run, s.not_applicable
    );
    if let Some(m) = &report.managed {
        let left: Vec<String> = m
            .created
            .iter()
            .filter(|c| !c.removed)
            .map(|c| format!("{} {}", c.kind, c.name))
            .collect();
        let cleanup = if m.keep {
            "kept (--keep)".to_owned()
        } else if m.cleanup_succeeded {
            "all removed".to_owned()
        } else {
            format!("NOT removed: {}", left.join(", "))
        };
        let _ = writeln!(
            out,
            "managed mode: prefix {}, {} items created, {cleanup}",
            m.prefix,
            m.created.len()
        );
    }
    let _ = writeln!(out, "{}", result_line(report));
    out
}

/// The one line that says what the run concluded, and why.
pub fn result_line(report: &Report) -> String {
    match report.outcome {
        Outcome::Conformant => "RESULT: conformant for the selected checks".into(),
        Outcome::NotConformant => format!(
            "RESULT: NOT conformant: {} {} failed or errored (see above)",
            report.summary.blocking,
            if report.summary.blocking == 1 {
                "check"
            } else {
                "checks"
            }
        ),
        Outcome::NotJudged => format!(
            "RESULT: NOT JUDGED: {}",
            match (&report.setup_error, &report.stopped) {
                (Some(_), _) => format!(
                    "set-up failed ({}); fix it and run again",
                    report
                        .setup_problem
                        .map(|p| p.headline())
                        .unwrap_or("set-up")
                ),
                (None, Some(why)) => format!("{why}; the checks that ran found no failure"),
                (None, None) => "some selected checks were not run".into(),
            }
        ),
    }
}

/// The JUnit XML: one suite per endpoint, one testcase per check.
pub fn junit(report: &Report) -> String {
    junit_with(report, Vec::new())
}

/// [`junit`] with more test suites after the endpoints' (differential mode's divergences).
pub fn junit_with(report: &Report, extra: Vec<TestSuite>) -> String {
    let mut junit = Junit::new("rocketchat-conformance");
    let mut endpoints: Vec<&str> = Vec::new();
    for r in &report.results {
        if !endpoints.contains(&r.endpoint.as_str()) {
            endpoints.push(r.endpoint.as_str());
        }
    }
    for endpoint in endpoints {
        let mut suite = TestSuite::new(endpoint);
        suite.add_property(Property::new("target", report.target.url.as_str()));
        suite.add_property(Property::new(
            "version",
            report.target.version.as_deref().unwrap_or("unknown"),
        ));
        suite.add_property(Property::new("seed", report.seed.to_string().as_str()));
        suite.add_property(Property::new("result", result_line(report).as_str()));
        if let Some(j) = &report.target.judged_as {
            suite.add_property(Property::new(
                "judged-as",
                format!("Rocket.Chat {} ({})", j.line, j.chosen_by).as_str(),
            ));
        }
        for r in report.results.iter().filter(|r| r.endpoint == endpoint) {
            let status = match r.status {
                Status::Pass => TestCaseStatus::success(),
                Status::NotRun | Status::NotApplicable => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(r.message.as_deref().unwrap_or("not run"));
                    s
                }
                Status::Skip | Status::Disabled => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!(
                        "{}: {}",
                        r.status,
                        r.message.as_deref().unwrap_or("")
                    ));
                    s
                }
                Status::Fail | Status::Error if r.expected_failure.is_some() => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!(
                        "known failure ({}): {}",
                        r.expected_failure.as_deref().unwrap_or(""),
                        r.message.as_deref().unwrap_or("")
                    ));
                    s.set_description(detail(r));
                    s
                }
                Status::Fail | Status::Error => {
                    let kind = if r.status == Status::Fail {
                        NonSuccessKind::Failure
                    } else {
                        NonSuccessKind::Error
                    };
                    let mut s = TestCaseStatus::non_success(kind);
                    s.set_message(r.message.clone().unwrap_or_default());
                    s.set_type(format!("{} {}", r.level, r.status));
                    s.set_description(detail(r));
                    s
                }
            };
            let mut case = TestCase::new(r.id.as_str(), status);
            case.set_classname(format!(
                "{}.{}",
                r.endpoint,
                r.level.to_string().to_lowercase()
            ));
            case.set_time(Duration::from_millis(r.duration_ms));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.add_test_suites(extra);
    junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->"))
}

fn detail(r: &CheckResult) -> String {
    let mut out = format!(
        "rule: {}\nsource: {}\ncode: {}\n",
        r.sentence, r.source, r.code
    );
    for (label, v) in [
        ("problem", &r.message),
        ("expected", &r.expected),
        ("actual", &r.actual),
        ("curl", &r.curl),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "{label}: {v}");
        }
    }
    out
}

/// A Markdown summary for a CI job's page (`$GITHUB_STEP_SUMMARY`, GitLab's job page): the
/// result, the target and its version line, the counts by endpoint and level, and every failure
/// and error with its rule, expected against actual and the curl line.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let t = &report.target;
    let _ = writeln!(
        out,
        "## Rocket.Chat conformance: users.presence and directory\n"
    );
    let _ = writeln!(
        out,
        "**{}**\n",
        result_line(report).replace("(see above)", "(see below)")
    );
    let judged = t
        .judged_as
        .as_ref()
        .map(|j| format!("Rocket.Chat {} ({})", j.line, j.chosen_by))
        .unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        out,
        "Target `{}`, version {}, judged as {judged}; seed {}.\n",
        t.url,
        t.version.as_deref().unwrap_or("unknown"),
        report.seed
    );
    if let Some(e) = &report.setup_error {
        let headline = report
            .setup_problem
            .map(|p| p.headline())
            .unwrap_or("set-up");
        let _ = writeln!(out, "> **Set-up failed ({headline}):** {}\n", one_line(e));
    }
    if let Some(why) = &report.stopped {
        let _ = writeln!(out, "> **Stopped early:** {}\n", one_line(why));
    }
    let _ = writeln!(
        out,
        "| endpoint | level | pass | fail | error | skip | disabled | not run | n/a |\n|---|---|---|---|---|---|---|---|---|"
    );
    for ((endpoint, level), s) in grouped(&report.results) {
        let _ = writeln!(
            out,
            "| {endpoint} | {level} | {} | {} | {} | {} | {} | {} | {} |",
            s.pass, s.fail, s.error, s.skip, s.disabled, s.not_run, s.not_applicable
        );
    }
    let problems = report.problems();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Failures and errors\n");
    }
    for r in problems {
        let known = r
            .expected_failure
            .as_deref()
            .map(|x| format!(" (known failure: {})", one_line(x)))
            .unwrap_or_default();
        let _ = writeln!(out, "#### {} [{}] `{}`{known}\n", r.status, r.level, r.id);
        let _ = writeln!(out, "- rule: {}", one_line(&r.sentence));
        let _ = writeln!(out, "- source: {}", one_line(&r.source));
        if let Some(m) = &r.message {
            let _ = writeln!(out, "- problem: {}", one_line(m));
        }
        for (label, value) in [("expected", &r.expected), ("actual", &r.actual)] {
            if let Some(v) = value {
                let _ = writeln!(out, "- {label}: `{}`", one_line(v).replace('`', "'"));
            }
        }
        if let Some(c) = &r.curl {
            let _ = writeln!(out, "\n```sh\n{c}\n```");
        }
        let _ = writeln!(out);
    }
    out
}

/// Text on one line, for a Markdown list item.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The JSON report.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render: {e}\"}}"))
}

/// `--list`: the selected checks, one per line with level, needs and rules in aligned columns,
/// then the sentence, the rules' documents and upstream sources, the code and the kill matrix's
/// verdict; `catalog_size` is the whole catalog's.
pub fn list(checks: &[crate::catalog::Check], catalog_size: usize) -> String {
    let mut out = String::new();
    let matrix = crate::kill_matrix::Matrix::committed();
    let id_width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let needs: Vec<String> = checks.iter().map(|c| c.needs.describe()).collect();
    let needs_width = needs.iter().map(String::len).max().unwrap_or(0);
    for (c, needs) in checks.iter().zip(&needs) {
        let _ = writeln!(
            out,
            "{:<6} {:<id_width$}  needs {:<needs_width$}  lines {:<16} rules {}",
            c.level,
            c.id,
            needs,
            c.lines.describe(),
            c.rules.join(", ")
        );
        let _ = writeln!(out, "       {}", c.sentence);
        let _ = writeln!(out, "       source: {}", c.source());
        let _ = writeln!(out, "       code: {}", c.code());
        let _ = writeln!(out, "       {}", crate::kill_matrix::describe(c, &matrix));
    }
    let must = checks
        .iter()
        .filter(|c| c.level == crate::vocabulary::Level::Must)
        .count();
    let selected = if checks.len() < catalog_size {
        format!(" selected of {catalog_size}")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n{} checks{selected} ({must} MUST, {} SHOULD)",
        checks.len(),
        checks.len() - must
    );
    out
}

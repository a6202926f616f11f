/*!
The HTML report: one self-contained file (inline CSS, no script, no font or anything else from
outside) rendered from the same [`Report`] as the JSON report, for the person who opens a failed
CI job's artifact.

It shows the verdict, the target (version, clock skew, test control), a summary by endpoint and
level, then every failure and error in full (rule, source, expected against actual, the curl
line, the HTTP exchanges), and the whole catalog with each check's status. Exchanges sit in
`<details>` elements, so the page reads at a glance and opens where needed.
*/

use std::fmt::Write;

use crate::runner::{grouped, Outcome, Report};
use crate::vocabulary::{CheckResult, Exchange, Status};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 10px}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:700;color:#fff}
.verdict.ok{background:#1a7f37} .verdict.bad{background:#cf222e} .verdict.unjudged{background:#57606a}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d8dde3;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;min-width:62px;text-align:center;padding:1px 6px;border-radius:3px;font-size:12px;font-weight:700;color:#fff}
.pass{background:#1a7f37} .fail{background:#cf222e} .error{background:#8250df} .skip{background:#9a6700} .disabled{background:#6e7781} .notrun{background:#57606a}
.problem{background:#fff;border:1px solid #d8dde3;border-left:5px solid #cf222e;padding:12px 14px;margin:0 0 14px}
.problem.err{border-left-color:#8250df}
.problem h3{margin:0 0 8px;font-size:15px;font-family:ui-monospace,Menlo,Consolas,monospace}
dl{display:grid;grid-template-columns:110px 1fr;gap:4px 10px;margin:0}
dt{color:#57606a} dd{margin:0}
pre{background:#f6f8fa;border:1px solid #d8dde3;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
.versus{display:grid;grid-template-columns:1fr 1fr;gap:10px}
details{margin-top:6px} summary{cursor:pointer;color:#0969da}
.meta td:first-child{width:180px;color:#57606a}
.known{color:#9a6700;font-weight:600}
";

fn badge(status: Status) -> String {
    let class = match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
        Status::Skip => "skip",
        Status::Disabled => "disabled",
        Status::NotRun => "notrun",
        Status::NotApplicable => "notrun",
    };
    format!("<span class=\"badge {class}\">{}</span>", status.label())
}

fn exchange(out: &mut String, n: usize, x: &Exchange) {
    let status = x
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "no answer".into());
    let _ = write!(
        out,
        "<details><summary>Exchange {}: {} {} → {} ({} ms)</summary>",
        n + 1,
        escape(&x.method),
        escape(&x.url),
        escape(&status),
        x.duration_ms
    );
    let mut request = format!("{} {}\n", x.method, x.url);
    for (k, v) in &x.request_headers {
        let _ = writeln!(request, "{k}: {v}");
    }
    if let Some(body) = &x.request_body {
        let _ = write!(request, "\n{body}");
    }
    let mut response = String::new();
    if let Some(s) = x.status {
        let _ = writeln!(response, "HTTP {s}");
    }
    for (k, v) in &x.response_headers {
        let _ = writeln!(response, "{k}: {v}");
    }
    let _ = write!(response, "\n{}", x.response_body);
    if let Some(e) = &x.error {
        let _ = write!(response, "\n\nerror: {e}");
    }
    let _ = write!(
        out,
        "<div class=\"versus\"><div><b>Request</b><pre>{}</pre></div><div><b>Response</b><pre>{}</pre></div></div><p><b>curl</b></p><pre>{}</pre></details>",
        escape(&request),
        escape(&response),
        escape(&x.curl)
    );
}

/// A result's rules: each a link to its section of the contract documents (relative to the
/// repository's root) and, where known, to its upstream source.
fn rules_html(r: &CheckResult) -> String {
    r.rules
        .iter()
        .map(|anchor| match crate::contract::rule(anchor) {
            Some(rule) => {
                let upstream = rule
                    .upstream
                    .map(|u| format!(" (<a href=\"{0}\">upstream</a>)", escape(u)))
                    .unwrap_or_default();
                format!(
                    "<a href=\"{}\">{}</a>{upstream}",
                    escape(&rule.link()),
                    escape(anchor)
                )
            }
            None => escape(anchor),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn problem(out: &mut String, r: &CheckResult) {
    let class = if r.status == Status::Error {
        "problem err"
    } else {
        "problem"
    };
    let _ = write!(
        out,
        "<section class=\"{class}\" id=\"{}\"><h3>{} [{}] {}</h3><dl>",
        escape(&r.id),
        badge(r.status),
        r.level,
        escape(&r.id)
    );
    if let Some(known) = &r.expected_failure {
        let _ = write!(
            out,
            "<dt>known failure</dt><dd class=\"known\">{}</dd>",
            escape(known)
        );
    }
    let _ = write!(
        out,
        "<dt>rule</dt><dd>{}</dd><dt>source</dt><dd>{}</dd><dt>code</dt><dd><code>{}</code></dd>",
        escape(&r.sentence),
        rules_html(r),
        escape(&r.code)
    );
    if let Some(m) = &r.message {
        let _ = write!(out, "<dt>problem</dt><dd>{}</dd>", escape(m));
    }
    let _ = write!(out, "</dl>");
    if r.expected.is_some() || r.actual.is_some() {
        let _ = write!(
            out,
            "<div class=\"versus\"><div><b>Expected</b><pre>{}</pre></div><div><b>Actual</b><pre>{}</pre></div></div>",
            escape(r.expected.as_deref().unwrap_or("")),
            escape(r.actual.as_deref().unwrap_or(""))
        );
    }
    if let Some(c) = &r.curl {
        let _ = write!(
            out,
            "<p><b>Reproduce</b> (export <code>X_AUTH_TOKEN</code> and <code>X_USER_ID</code> first)</p><pre>{}</pre>",
            escape(c)
        );
    }
    for (n, x) in r.exchanges.iter().enumerate() {
        exchange(out, n, x);
    }
    let _ = write!(out, "</section>");
}

/// The report as one HTML document.
pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let t = &report.target;
    let (class, verdict) = match report.outcome {
        Outcome::Conformant => ("ok", "CONFORMS"),
        Outcome::NotConformant => ("bad", "DOES NOT CONFORM"),
        Outcome::NotJudged => ("unjudged", "NOT JUDGED"),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Conformance: {}</title><style>{STYLE}</style></head><body><main>",
        escape(&t.url)
    );
    let _ = write!(
        out,
        "<h1>Rocket.Chat conformance: users.presence and directory</h1><p><span class=\"verdict {class}\">{verdict}</span> {} checks: {} pass, {} fail, {} error, {} skip, {} disabled, {} not run, {} n/a{}</p><p>{}</p>",
        report.summary.total,
        report.summary.pass,
        report.summary.fail,
        report.summary.error,
        report.summary.skip,
        report.summary.disabled,
        report.summary.not_run,
        report.summary.not_applicable,
        if report.summary.expected_failures > 0 {
            format!(" ({} known failures)", report.summary.expected_failures)
        } else {
            String::new()
        },
        escape(&crate::report::result_line(report).replace("(see above)", "(see below)"))
    );
    let skew = t
        .clock_skew
        .as_ref()
        .map(|s| format!("{:+} ms ± {} ms ({})", s.ms, s.uncertainty_ms, s.method))
        .unwrap_or_else(|| "unknown".into());
    let _ = write!(out, "<h2>Target</h2><table class=\"meta\">");
    for (k, v) in [
        ("URL", t.url.clone()),
        (
            "version (/api/info)",
            t.version.clone().unwrap_or_else(|| "unknown".into()),
        ),
        ("clock skew", skew),
        (
            "judged as",
            t.judged_as
                .as_ref()
                .map(|j| {
                    let warning = j
                        .warning
                        .as_deref()
                        .map(|w| format!("; warning: {w}"))
                        .unwrap_or_default();
                    format!("Rocket.Chat {} ({}){warning}", j.line, j.chosen_by)
                })
                .unwrap_or_else(|| "unknown".into()),
        ),
        (
            "test control",
            match t.test_control {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            }
            .to_owned(),
        ),
        (
            "suite",
            format!("{} {}", report.suite, report.suite_version),
        ),
        ("contract", report.contract.join("; ")),
        ("started", report.started_at.clone()),
        ("duration", format!("{} ms", report.duration_ms)),
        ("seed", report.seed.to_string()),
    ] {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(k),
            escape(&v)
        );
    }
    let _ = write!(out, "</table>");
    if let Some(why) = &report.stopped {
        let _ = write!(
            out,
            "<h2>Stopped early</h2><section class=\"problem err\"><pre>{}</pre></section>",
            escape(why)
        );
    }
    if let Some(e) = &report.setup_error {
        let headline = report
            .setup_problem
            .map(|p| p.headline())
            .unwrap_or("set-up");
        let _ = write!(
            out,
            "<h2>Set-up failed: {}</h2><section class=\"problem err\"><pre>{}</pre><p>No check ran: this says nothing about the target's conformance.</p>",
            escape(headline),
            escape(e)
        );
        for (n, x) in report.setup_exchanges.iter().enumerate() {
            exchange(&mut out, n, x);
        }
        let _ = write!(out, "</section>");
    }
    let _ = write!(
        out,
        "<h2>Summary by endpoint and level</h2><table><tr><th>endpoint</th><th>level</th><th>pass</th><th>fail</th><th>error</th><th>skip</th><th>disabled</th><th>not run</th><th>n/a</th></tr>"
    );
    for ((endpoint, level), s) in grouped(&report.results) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&endpoint),
            escape(&level),
            s.pass,
            s.fail,
            s.error,
            s.skip,
            s.disabled,
            s.not_run,
            s.not_applicable
        );
    }
    let _ = write!(out, "</table>");
    let problems = report.problems();
    if !problems.is_empty() {
        let _ = write!(out, "<h2>Failures and errors</h2>");
        for r in problems {
            problem(&mut out, r);
        }
    }
    let _ = write!(
        out,
        "<h2>All checks</h2><table><tr><th>status</th><th>level</th><th>check</th><th>rule and source</th></tr>"
    );
    for r in &report.results {
        let id = if matches!(r.status, Status::Fail | Status::Error) {
            format!("<a href=\"#{0}\">{0}</a>", escape(&r.id))
        } else {
            escape(&r.id)
        };
        let note = match (&r.message, r.status) {
            (Some(m), Status::Skip | Status::Disabled | Status::NotRun | Status::NotApplicable) => {
                format!("<br><i>{}</i>", escape(m))
            }
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td><code>{id}</code>{note}</td><td>{}<br><small>{}</small></td></tr>",
            badge(r.status),
            r.level,
            escape(&r.sentence),
            rules_html(r)
        );
    }
    let _ = writeln!(out, "</table></main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}

/*!
Runs a catalog against a target: establishes the session once (reachability, `/api/info`
version, login, test-control detection, clock skew, settings), then runs each selected check in
catalog order with its own context, converts panics into Errors, restores whatever a check
changed through test control, applies `--expect-fail`, and returns a [`Report`] that every
renderer reads. The library entry point for `cargo xtask conform` and for tests alike.
*/

use std::{
    collections::BTreeMap,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{mpsc, Mutex},
    time::Instant,
};

use serde::Serialize;

use crate::catalog::Check;
use crate::config::{Config, Credentials, RedactedConfig};
use crate::context::{Auth, Ctx, Session, Skew};
use crate::http::{Http, Req};
use crate::schedule::{Clock, Data, Plan, Sharing};
use crate::setup::{Setup, SetupFailure, SetupProblem};
use crate::versions::{Line, Lines};
use crate::vocabulary::{CheckResult, Exchange, Status, Verdict};

/// Progress callbacks (the console's progress bar, `--verbose`).
pub trait Observer {
    fn started(&mut self, _total: usize) {}
    fn finished(&mut self, _result: &CheckResult) {}
    /// A remark about the run as a whole (e.g. the seed, an unknown `--expect-fail` id).
    fn message(&mut self, _text: &str) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

/// What the suite knows about the target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    pub url: String,
    /// `version` from `GET /api/info`.
    pub version: Option<String>,
    /// Whether the target has the reference server's test control (None: set-up stopped
    /// before it was asked).
    pub test_control: Option<bool>,
    pub clock_skew: Option<Skew>,
    /// Whether the caller is an administrator, when known.
    pub caller_admin: Option<bool>,
    /// The Rocket.Chat version line the target was judged by, and how it was chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged_as: Option<crate::versions::Judged>,
    pub second_user: bool,
}

/// Counts per status.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub disabled: usize,
    pub error: usize,
    /// Selected checks the run did not reach (set-up failed, the target stopped answering,
    /// `--max-duration`, an interrupt).
    pub not_run: usize,
    /// Checks whose rule does not exist on the version line the target is judged by.
    pub not_applicable: usize,
    /// Fail or Error results listed in `--expect-fail`.
    pub expected_failures: usize,
    /// Fail or Error results that make the run fail.
    pub blocking: usize,
}

impl Summary {
    pub fn of(results: &[CheckResult]) -> Self {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
                Status::Disabled => s.disabled += 1,
                Status::Error => s.error += 1,
                Status::NotRun => s.not_run += 1,
                Status::NotApplicable => s.not_applicable += 1,
            }
            if matches!(r.status, Status::Fail | Status::Error) && r.expected_failure.is_some() {
                s.expected_failures += 1;
            }
            if r.is_blocking() {
                s.blocking += 1;
            }
        }
        s
    }
}

/// What a run concluded about its target: one of three, each with its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every selected check that ran passed, skipped or failed as expected (exit 0).
    Conformant,
    /// At least one check that ran failed or errored (exit 1).
    NotConformant,
    /// The run could not judge the target: set-up failed, or it stopped before every selected
    /// check ran, with no failure among those that did (exit 2).
    NotJudged,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Conformant => 0,
            Outcome::NotConformant => 1,
            Outcome::NotJudged => 2,
        }
    }
}

/// Everything a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub suite: String,
    pub suite_version: String,
    /// The contract documents the catalog checks.
    pub contract: Vec<String>,
    pub target: TargetInfo,
    pub config: RedactedConfig,
    pub seed: u64,
    pub started_at: String,
    pub duration_ms: u64,
    pub outcome: Outcome,
    /// Why the run could not judge the target before any check ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_problem: Option<SetupProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
    /// Why the run stopped before every selected check ran (the target stopped answering,
    /// `--max-duration`, an interrupt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The requests of the set-up (probe, login, test-control detection).
    pub setup_exchanges: Vec<Exchange>,
    pub summary: Summary,
    pub results: Vec<CheckResult>,
    /// Managed mode: the run's prefix, what was created and whether it was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed: Option<crate::managed::ManagedReport>,
}

impl Report {
    /// The outcome from the results and how the run ended.
    pub fn judge(summary: &Summary, setup_problem: Option<SetupProblem>, stopped: bool) -> Outcome {
        if summary.blocking > 0 {
            Outcome::NotConformant
        } else if setup_problem.is_some() || stopped || summary.not_run > 0 {
            Outcome::NotJudged
        } else {
            Outcome::Conformant
        }
    }

    /// The Fails and Errors, in catalog order: what every report shows in full.
    pub fn problems(&self) -> Vec<&CheckResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::Error))
            .collect()
    }

    /// 0 conformant for the selected checks, 1 a rule broken, 2 not judged.
    pub fn exit_code(&self) -> i32 {
        self.outcome.exit_code()
    }
}

/// Runs the whole catalog.
pub fn run(config: &Config, observer: &mut dyn Observer) -> Report {
    run_checks(config, &crate::catalog::catalog(), observer)
}

/// Why a check is not selected, if it is not.
pub fn deselected(check: &Check, config: &Config) -> Option<String> {
    if !config.filters.is_empty()
        && !config
            .filters
            .iter()
            .any(|f| check.id.starts_with(f.as_str()))
    {
        return Some(format!(
            "not matched by --filter {}",
            config.filters.join(", ")
        ));
    }
    if let Some(s) = config
        .skips
        .iter()
        .find(|s| check.id.starts_with(s.as_str()))
    {
        return Some(format!("--skip {s}"));
    }
    if !config.levels.is_empty() && !config.levels.contains(&check.level) {
        return Some(format!("level {} not selected by --level", check.level));
    }
    None
}

/// The checks `--filter`, `--skip` and `--level` select.
pub fn selection<'c>(checks: &'c [Check], config: &Config) -> Vec<&'c Check> {
    checks
        .iter()
        .filter(|c| deselected(c, config).is_none())
        .collect()
}

/// Why a selection is empty, naming the flags that emptied it.
pub fn empty_selection(config: &Config) -> String {
    let mut flags = Vec::new();
    if !config.filters.is_empty() {
        flags.push(format!("--filter {}", config.filters.join(",")));
    }
    if !config.skips.is_empty() {
        flags.push(format!("--skip {}", config.skips.join(",")));
    }
    if !config.levels.is_empty() {
        let levels: Vec<String> = config
            .levels
            .iter()
            .map(|l| l.to_string().to_lowercase())
            .collect();
        flags.push(format!("--level {}", levels.join(",")));
    }
    format!(
        "no check selected: {} leaves none of the catalog's checks (ids start with presence/ or directory/; see --list)",
        if flags.is_empty() { "the selection".to_owned() } else { flags.join(" with ") }
    )
}

/// Runs the given checks.
pub fn run_checks(config: &Config, checks: &[Check], observer: &mut dyn Observer) -> Report {
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let seed = config.seed.unwrap_or_else(random_seed);
    let deadline = config.max_duration.map(|d| started + d);
    let selected = selection(checks, config).len();
    for id in config.expect_fail.keys() {
        if !checks.iter().any(|c| &c.id == id) {
            observer.message(&format!(
                "--expect-fail names {id}, which is not in the catalog"
            ));
        }
    }

    let mut setup = Setup::default();
    let established = if selected > 0 {
        crate::setup::establish(config, seed, deadline, &mut setup)
    } else {
        Err(SetupFailure::new(
            SetupProblem::NoCheckSelected,
            empty_selection(config),
        ))
    };
    let mut target = TargetInfo {
        url: config.url.clone(),
        version: setup.version.clone(),
        test_control: setup.test_control,
        clock_skew: None,
        caller_admin: None,
        judged_as: None,
        second_user: false,
    };
    let (mut http, session, setup_failure) = match established {
        Ok((http, session)) => {
            target.clock_skew = Some(session.skew);
            target.caller_admin = session.caller.admin;
            target.judged_as = Some(session.judged.clone());
            target.second_user = session.second.is_some();
            (Some(http), Some(session), None)
        }
        Err(e) => {
            observer.message(&format!(
                "conformance: set-up failed ({}): {}",
                e.problem.headline(),
                e.message
            ));
            (None, None, Some(e))
        }
    };
    if let Some(s) = &session {
        if let Some(w) = &s.judged.warning {
            observer.message(&format!("conformance: warning: {w}"));
        }
        observer.message(&format!("seed {seed} (replay with --seed {seed})"));
    }
    // Sweeps what managed checks left behind, at the end or when this function unwinds.
    let mut janitor = match (&session, &http) {
        (Some(s), Some(h)) => s.managed.clone().map(|m| {
            let mut h = h.sibling();
            h.options.verbose = false;
            crate::managed::Janitor::new(h, m)
        }),
        _ => None,
    };
    observer.started(selected);
    let setup_stop = setup_failure
        .as_ref()
        .map(|e| format!("set-up failed ({}): {}", e.problem.headline(), e.message));
    let mut slots: Vec<Option<CheckResult>> = vec![None; checks.len()];
    let mut to_run = Vec::new();
    for (i, check) in checks.iter().enumerate() {
        if let Some(reason) = deselected(check, config) {
            slots[i] = Some(blank(check, Status::Disabled, Some(reason)));
        } else if let Some(session) = &session {
            match without_requests(check, session) {
                Some(result) => slots[i] = Some(result),
                None => to_run.push(i),
            }
        } else {
            to_run.push(i);
        }
    }
    let mut emitted = 0;
    let mut emit = |slots: &mut [Option<CheckResult>], observer: &mut dyn Observer| {
        while emitted < slots.len() {
            let Some(result) = slots[emitted].as_mut() else {
                break;
            };
            *result = apply_expectation(result.clone(), config);
            if setup_failure.is_none() && result.status != Status::Disabled {
                observer.finished(result);
            }
            emitted += 1;
        }
    };
    let stopped = match (&session, &http) {
        (Some(session), Some(http)) if setup_stop.is_none() => run_side_by_side(
            checks,
            &to_run,
            config,
            session,
            http,
            deadline,
            &mut slots,
            &mut |slots| emit(slots, observer),
        ),
        _ => setup_stop.clone(),
    };
    for i in to_run {
        if slots[i].is_none() {
            let why = stopped.as_deref().unwrap_or("no session");
            slots[i] = Some(blank(
                &checks[i],
                Status::NotRun,
                Some(format!("not run: {why}")),
            ));
        }
    }
    emit(&mut slots, observer);
    let results: Vec<CheckResult> = slots.into_iter().flatten().collect();
    // Before logging out: the admin's token may be the caller's.
    let managed = janitor.take().map(|j| {
        let mut report = j.finish();
        // In catalog order, whichever job made them first.
        report.created.sort_by_key(|c| {
            checks
                .iter()
                .position(|k| k.id == c.check)
                .map_or(0, |p| p + 1)
        });
        report
    });
    if let (Some(http), Some(session)) = (http.as_mut(), &session) {
        logout(http, session, config, &mut setup.exchanges);
    }
    let summary = Summary::of(&results);
    let setup_problem = setup_failure.as_ref().map(|e| e.problem);
    let stopped = if setup_failure.is_some() {
        None
    } else {
        stopped
    };
    Report {
        suite: "rocketchat-presence-directory-conformance".into(),
        suite_version: env!("CARGO_PKG_VERSION").into(),
        contract: ["users.presence.md", "directory.md", "auth-and-errors.md"]
            .map(|d| format!("{}/{d}", crate::contract::CONTRACT_DIR))
            .to_vec(),
        target,
        config: config.redacted(),
        seed,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        outcome: Report::judge(&summary, setup_problem, stopped.is_some()),
        setup_problem,
        setup_error: setup_failure.map(|e| e.message),
        stopped,
        setup_exchanges: setup.exchanges,
        summary,
        results,
        managed,
    }
}

/// Runs the checks at `to_run` (indices into `checks`) over `config.jobs` workers, each with its
/// own client sharing `http`'s pool, secrets and request budget. Results land in `slots`;
/// `emit` is called whenever one lands. Returns why the run stopped early, if it did.
#[allow(clippy::too_many_arguments)]
fn run_side_by_side(
    checks: &[Check],
    to_run: &[usize],
    config: &Config,
    session: &Session,
    http: &Http,
    deadline: Option<Instant>,
    slots: &mut [Option<CheckResult>],
    emit: &mut dyn FnMut(&mut [Option<CheckResult>]),
) -> Option<String> {
    let jobs = config.jobs.clamp(1, to_run.len().max(1));
    let mut order = to_run.to_vec();
    if jobs > 1 {
        order.sort_by_key(|&i| start_rank(&checks[i], session));
    }
    let plan = Plan::new(
        checks.iter().map(|c| sharing_on(c, session)).collect(),
        order,
    );
    let stop: Mutex<Option<String>> = Mutex::new(None);
    let stop_now = |why: String| {
        let mut stop = stop.lock().unwrap_or_else(|e| e.into_inner());
        stop.get_or_insert(why);
        plan.close();
    };
    let mut finished_at: Vec<Option<Instant>> = vec![None; checks.len()];
    std::thread::scope(|scope| {
        let (done, landed) = mpsc::channel::<(usize, CheckResult)>();
        for _ in 0..jobs {
            let done = done.clone();
            let mut http = http.sibling();
            let (plan, stop_now) = (&plan, &stop_now);
            scope.spawn(move || {
                while let Some(i) = plan.next() {
                    let check = &checks[i];
                    let result = match stop_reason(Some(&http), deadline, config) {
                        Some(why) => {
                            stop_now(why.clone());
                            blank(check, Status::NotRun, Some(format!("not run: {why}")))
                        }
                        None => {
                            let mut result = run_one(check, config, session, &mut http);
                            if let Some(why) = stop_reason(Some(&http), deadline, config) {
                                // The check that met the stop could not be judged.
                                if result.status == Status::Error {
                                    not_run(&mut result, &why);
                                }
                                stop_now(why);
                            }
                            result
                        }
                    };
                    plan.finished(i);
                    if done.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        for (i, result) in landed {
            finished_at[i] = Some(Instant::now());
            slots[i] = Some(result);
            emit(slots);
        }
    });
    for i in plan.abandoned() {
        let why = stop.lock().map(|s| s.clone()).unwrap_or_default();
        let why = why.as_deref().unwrap_or("the run stopped");
        slots[i] = Some(blank(
            &checks[i],
            Status::NotRun,
            Some(format!("not run: {why}")),
        ));
    }
    let stopped = stop.into_inner().unwrap_or_else(|e| e.into_inner());
    if let (Some(why), Some(_)) = (&stopped, http.stalled()) {
        // The checks whose requests timed out after the target's last answer could not be
        // judged either.
        let last_answer = http.last_answer_at();
        for (i, slot) in slots.iter_mut().enumerate() {
            if let (Some(r), Some(at)) = (slot.as_mut(), finished_at[i]) {
                if timed_out(r) && last_answer.is_none_or(|l| at >= l) {
                    not_run(r, why);
                }
            }
        }
    }
    stopped
}

/// When a check starts relative to the others when they run side by side (lower first; catalog
/// order within a rank). The long ones start first, so that the others fill the time beside
/// them, but a long one that moves the clock waits for the short writers that need a running
/// clock (they could not run beside it, and so would add their time after it); the long readers
/// come next, as soon as the writers let them; those that run alone come last, so that, waiting,
/// they hold back no other.
fn start_rank(check: &Check, session: &Session) -> u8 {
    let s = sharing_on(check, session);
    match (check.long, s.alone, s.data, s.clock) {
        (_, true, _, _) => 5,
        (true, _, Data::Writes, Clock::Moves) => 2,
        (true, _, Data::Writes, _) => 0,
        (false, _, Data::Writes, _) => 1,
        (true, _, _, _) => 3,
        _ => 4,
    }
}

/// What a check shares on this target (see [`Sharing::resolved`]).
fn sharing_on(check: &Check, session: &Session) -> Sharing {
    check
        .sharing
        .resolved(session.test_control, session.request_clock)
}

/// Why the run must stop now, if it must: an interrupt, a target that stopped answering, or
/// `--max-duration` reached.
fn stop_reason(http: Option<&Http>, deadline: Option<Instant>, config: &Config) -> Option<String> {
    if crate::interrupt::requested() {
        return Some("the run was interrupted (Ctrl-C)".into());
    }
    if let Some(why) = http.and_then(Http::stalled) {
        return Some(why);
    }
    match (deadline, config.max_duration) {
        (Some(d), Some(max)) if Instant::now() >= d => Some(format!(
            "the run reached --max-duration ({} s)",
            max.as_secs()
        )),
        _ => None,
    }
}

/// Whether a result is an Error because its last request timed out or was not sent.
fn timed_out(r: &CheckResult) -> bool {
    r.status == Status::Error
        && r.message
            .as_deref()
            .is_some_and(|m| m.contains(" timed out after ") || m.contains(" not sent: "))
}

/// Marks a result as not run, keeping what it recorded.
fn not_run(r: &mut CheckResult, why: &str) {
    let detail = r.message.take().unwrap_or_default();
    r.status = Status::NotRun;
    r.message = Some(format!("not run: {why}"));
    if !detail.is_empty() {
        r.notes.push(detail);
    }
    r.expected = None;
    r.actual = None;
}

fn random_seed() -> u64 {
    crate::random::u64() % 1_000_000_000_000
}

fn blank(check: &Check, status: Status, message: Option<String>) -> CheckResult {
    CheckResult {
        id: check.id.clone(),
        endpoint: check.endpoint().to_owned(),
        level: check.level,
        sentence: check.sentence.to_owned(),
        source: check.source(),
        rules: check.rules.iter().map(|r| r.to_string()).collect(),
        code: check.code(),
        needs: check.needs.describe(),
        status,
        message,
        expected: None,
        actual: None,
        curl: None,
        expected_failure: None,
        notes: Vec::new(),
        duration_ms: 0,
        exchanges: Vec::new(),
    }
}

fn apply_expectation(mut r: CheckResult, config: &Config) -> CheckResult {
    if let Some(reason) = config.expect_fail.get(&r.id) {
        match r.status {
            Status::Fail | Status::Error => r.expected_failure = Some(reason.clone()),
            Status::Pass => r.notes.push(format!(
                "listed in --expect-fail ({reason}) but passed: remove it from the file"
            )),
            _ => {}
        }
    }
    r
}

fn unmet_needs(check: &Check, session: &Session) -> Option<String> {
    let n = check.needs;
    let managed_hint =
        "or an administrator's --admin-username/--admin-password (managed mode creates one)";
    if n.test_control && !session.test_control {
        return Some(
            "the target has no test-control API (GET /test-control/clock answered no clock); only the reference server started with --test-control has one".into(),
        );
    }
    if n.admin && session.managed.is_none() {
        return Some("managed mode is off: give an administrator's --admin-username/--admin-password or --admin-user-id/--admin-auth-token (it may be the caller's)".into());
    }
    if n.second_user_not_admin {
        let why = match (&session.second, session.second.as_ref().and_then(|s| s.admin)) {
            (_, Some(false)) => None,
            (None, _) if session.caller.admin == Some(true) => Some("no second user, and the caller is an administrator".to_owned()),
            (None, _) => Some("no second user".to_owned()),
            (Some(_), Some(true)) => Some("the second user is an administrator".to_owned()),
            (Some(_), None) => Some("whether the second user is an administrator is unknown (GET /api/v1/me named no roles; pass --second-admin false if it is not one)".to_owned()),
        };
        if let Some(why) = why {
            return Some(format!("{why}: this rule is about what a non-administrator sees; give a non-admin --second-username/--second-password or --second-user-id/--second-auth-token, {managed_hint}"));
        }
    }
    if n.second_user && session.second.is_none() {
        return Some(format!("no second user: give --second-username/--second-password or --second-user-id/--second-auth-token, {managed_hint}"));
    }
    None
}

/// The result of a check that sends nothing: not applicable to the version line, or missing
/// what it needs.
fn without_requests(check: &Check, session: &Session) -> Option<CheckResult> {
    let line = session.judged.line;
    if !check.lines.contains(line) {
        return Some(blank(
            check,
            Status::NotApplicable,
            Some(format!(
                "not applicable to Rocket.Chat {line} ({}): the rule holds for {}",
                session.judged.chosen_by,
                check.lines.describe()
            )),
        ));
    }
    unmet_needs(check, session).map(|reason| blank(check, Status::Skip, Some(reason)))
}

fn run_one(check: &Check, config: &Config, session: &Session, http: &mut Http) -> CheckResult {
    let line = session.judged.line;
    let started = Instant::now();
    let mut ctx = Ctx::new(http, session, config, &check.id);
    ctx.sharing = sharing_on(check, session);
    let outcome = catch_unwind(AssertUnwindSafe(|| (check.run)(&mut ctx)));
    let outcome = match outcome {
        Ok(o) => o,
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            Err(Verdict::Error(format!("the check panicked: {text}")))
        }
    };
    // What the check created goes now, whatever its outcome (a panic was caught above).
    let restore_error = ctx.tidy(|ctx| {
        crate::companion::remove_for_check(ctx, &check.id);
        restore(ctx, session)
    });
    let curl = ctx.last_curl();
    let ctx_line_consulted = ctx.line_consulted.get();
    let mut result = blank(check, Status::Pass, None);
    result.notes = std::mem::take(&mut ctx.notes);
    result.exchanges = std::mem::take(&mut ctx.exchanges);
    result.duration_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => {}
        Err(Verdict::Fail(f)) => {
            result.status = Status::Fail;
            result.message = Some(name_the_line(
                f.message,
                check.lines,
                line,
                ctx_line_consulted,
            ));
            result.expected = Some(f.expected);
            result.actual = Some(f.actual);
            result.curl = curl;
        }
        Err(Verdict::Skip(why)) => {
            result.status = Status::Skip;
            result.message = Some(why);
        }
        Err(Verdict::NotApplicable(why)) => {
            result.status = Status::NotApplicable;
            result.message = Some(format!(
                "not applicable to Rocket.Chat {line} ({}): {why}",
                session.judged.chosen_by
            ));
        }
        Err(Verdict::Error(e)) => {
            result.status = Status::Error;
            result.message = Some(e);
            result.curl = curl;
        }
    }
    if let Some(e) = restore_error {
        if result.status == Status::Pass {
            result.status = Status::Error;
            result.message = Some(e);
        } else {
            result.notes.push(e);
        }
    }
    result
}

/// A failure's message, saying which version line's rule it broke when the expectation depends
/// on the line: the check holds only on some lines, or asked for the line it is judged by.
fn name_the_line(message: String, lines: Lines, line: Line, consulted: bool) -> String {
    if lines != Lines::ALL {
        format!(
            "{message} (a rule of Rocket.Chat {}; judged as {line})",
            lines.describe()
        )
    } else if consulted && !message.contains(line.name()) {
        format!("{message} (as Rocket.Chat {line} answers)")
    } else {
        message
    }
}

/// Puts back the clock and then the settings a check changed; returns what could not be
/// restored.
fn restore(ctx: &mut Ctx, session: &Session) -> Option<String> {
    let mut problems = Vec::new();
    let mut put_back = |ctx: &mut Ctx, what: &str, req: Req| match ctx.send(req, &Auth::None) {
        Ok(r) if r.status == 200 => {
            crate::interrupt::undone(&crate::context::undo_key(what, ctx.config))
        }
        Ok(r) => problems.push(format!("restoring the {what} answered {}", r.status)),
        Err(v) => problems.push(format!("restoring the {what} failed: {v:?}")),
    };
    if ctx.clock_touched {
        put_back(ctx, "clock", crate::context::clock_restore(session));
    }
    if std::mem::take(&mut ctx.holds_shared_stop) {
        // The last check to leave the shared stop puts the clock back.
        let stop = session.clock_stop.clone();
        stop.leave(|| put_back(ctx, "clock", crate::context::clock_restore(session)));
    }
    if let (true, Some(settings)) = (ctx.settings_touched, &session.settings) {
        put_back(ctx, "settings", crate::context::settings_restore(settings));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn logout(http: &mut Http, session: &Session, config: &Config, exchanges: &mut Vec<Exchange>) {
    let distinct_admin = session
        .managed
        .as_ref()
        .filter(|_| config.admin_credentials != config.credentials)
        .map(|m| &m.admin);
    let pairs = [
        (&config.credentials, Some(&session.caller)),
        (&config.second, session.second.as_ref()),
        (&config.admin_credentials, distinct_admin),
    ];
    for (creds, user) in pairs {
        if let (Some(Credentials::Login { .. }), Some(user)) = (creds, user) {
            let req = Req::method("POST", "/api/v1/logout")
                .header("X-Auth-Token", &user.auth_token)
                .header("X-User-Id", &user.user_id);
            let (xs, _) = http.send(&req, "(logout)");
            exchanges.extend(xs);
        }
    }
}

/// Results grouped by endpoint, then level (for the console and later the HTML report).
pub fn grouped(results: &[CheckResult]) -> BTreeMap<(String, String), Summary> {
    let mut groups: BTreeMap<(String, String), Vec<CheckResult>> = BTreeMap::new();
    for r in results {
        groups
            .entry((r.endpoint.clone(), r.level.to_string()))
            .or_default()
            .push(r.clone());
    }
    groups
        .into_iter()
        .map(|(k, v)| (k, Summary::of(&v)))
        .collect()
}

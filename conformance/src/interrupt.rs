/*!
Ctrl-C during a run. The first interrupt asks the run to stop after the request in flight, so
that the clock and settings it changed through test control are put back (the clock first),
managed mode still removes what it created, and the reports are still written (the checks not
reached are reported as not run); the binary then exits 130.

A second interrupt exits at once. Before it does, it prints what the run leaves behind, each
with the curl line that undoes it (secrets as shell variables): the managed-mode prefix, every
created item not yet removed, and the test-control state still changed. The run keeps that list
here, as it changes, because the handler runs on its own thread and cannot ask the run.
*/

use std::sync::{
    atomic::{AtomicBool, AtomicU32, Ordering},
    Mutex,
};

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The reference server started for this run (0: none), killed on a forced exit.
static CHILD: AtomicU32 = AtomicU32::new(0);
/// The managed-mode prefixes of the runs (two in differential mode).
static PREFIXES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// What the run changed and has not undone yet: (key, description, curl that undoes it).
static LEFT: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            eprintln!("interrupted again: exiting without cleanup");
            eprint!("{}", left_behind());
            let child = CHILD.load(Ordering::SeqCst);
            if child != 0 {
                let _ = std::process::Command::new("kill")
                    .arg(child.to_string())
                    .status();
            }
            std::process::exit(130);
        }
        eprintln!("interrupted: finishing the request in flight, restoring the clock and settings, removing created data, writing reports (Ctrl-C again to exit at once)");
    });
}

/// Whether an interrupt asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Asks the run to stop, as an interrupt does (for tests and embedders).
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Records the reference server this run started, so that a forced exit stops it too.
pub fn register_child(pid: u32) {
    CHILD.store(pid, Ordering::SeqCst);
}

/// Records a run's managed-mode prefix.
pub fn set_prefix(prefix: &str) {
    let mut prefixes = lock(&PREFIXES);
    if !prefixes.iter().any(|p| p == prefix) {
        prefixes.push(prefix.to_owned());
    }
}

/// Records a change the run must undo: `key` names it for [`undone`], `what` describes it,
/// `curl` undoes it (already redacted).
pub fn pending(key: &str, what: String, curl: String) {
    let mut left = lock(&LEFT);
    left.retain(|(k, _, _)| k != key);
    left.push((key.to_owned(), what, curl));
}

/// Forgets a change once undone.
pub fn undone(key: &str) {
    lock(&LEFT).retain(|(k, _, _)| k != key);
}

/// What a forced exit leaves behind, as text for the terminal ("" when nothing).
pub fn left_behind() -> String {
    let mut left = lock(&LEFT).clone();
    // Undo in a working order: the clock and settings, then rooms (a team's channels before
    // the team), then users; the newest first within each.
    left.reverse();
    left.sort_by_key(|(key, _, _)| match key.split(' ').next() {
        Some("clock" | "settings") => 0,
        Some("channel" | "group") => 1,
        Some("team") => 2,
        _ => 3,
    });
    let prefixes = lock(&PREFIXES).join(", ");
    if left.is_empty() {
        return match prefixes.is_empty() {
            false => format!("managed mode's prefix was {prefixes}; nothing it made is left\n"),
            true => String::new(),
        };
    }
    let mut out = String::from("left behind on the target, each with the command that undoes it (set the shell variables first):\n");
    if !prefixes.is_empty() {
        out.push_str(&format!(
            "  managed mode's prefix: {prefixes} (every name starting with it was made by this run)\n"
        ));
    }
    for (_, what, curl) in left {
        out.push_str(&format!("  {what}\n    {curl}\n"));
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_what_is_pending_until_undone() {
        set_prefix("conf-abc123-");
        pending(
            "clock",
            "the target's clock".into(),
            "curl -X DELETE http://h/test-control/clock".into(),
        );
        pending(
            "user u1",
            "user conf-abc123-caller".into(),
            "curl -X POST …users.delete".into(),
        );
        let text = left_behind();
        assert!(text.contains("conf-abc123-"), "{text}");
        assert!(
            text.contains("curl -X DELETE http://h/test-control/clock"),
            "{text}"
        );
        assert!(text.contains("user conf-abc123-caller"), "{text}");
        undone("clock");
        undone("user u1");
        assert!(!left_behind().contains("curl"));
    }
}

/*!
Ctrl-C during a run: the first interrupt asks the run to stop after the request in flight, so
that managed mode still removes what it created and the reports are still written (the checks
not run are reported as Errors); a second interrupt exits at once.
*/

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The reference server started for this run (0: none), killed on a forced exit.
static CHILD: AtomicU32 = AtomicU32::new(0);

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            eprintln!("interrupted again: exiting without cleanup");
            let child = CHILD.load(Ordering::SeqCst);
            if child != 0 {
                let _ = std::process::Command::new("kill")
                    .arg(child.to_string())
                    .status();
            }
            std::process::exit(130);
        }
        eprintln!("interrupted: finishing the request in flight, removing created data, writing reports (Ctrl-C again to exit at once)");
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

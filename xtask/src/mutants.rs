/*!
`cargo xtask mutants [ARGS…]`: a mutation score for the reference server's rules and store.

Runs cargo-mutants (installed with `cargo install cargo-mutants --locked` when missing) over
the rules and store modules (`presence.rs`, `store.rs`, `query_string.rs`, `time.rs`,
`accounts.rs`, the `directory` and `companion` modules). Each mutant is judged by the reference
server's own tests plus the conformance run (the conformance crate's tests, which start the
mutated server's binary and run the whole catalog against it); the kill matrix and the browser
test are left out (the first tests the suite, not the server; the second needs Chromium).
Writes the caught / missed / unviable / timeout counts and every missed mutant to
`target/mutants-report.md`.

ARGS go to cargo-mutants: `--file GLOB` replaces the default files, and `--re`, `--in-diff`,
`--shard`, `-j` narrow or split a run. Slow on 2 cores (hundreds of mutants, each a rebuild and
a test run), so not part of CI.

`--fast` judges each mutant by the reference server's unit tests and its `presence`,
`directory`, `rocketchat_e2e`, `companion` and `auth` tests only (no conformance run), built
without debug info: about 20 s a mutant instead of minutes. Mutants it misses are worth
re-running without `--fast` (`--re` with their names) before calling them missed.
*/

use std::{collections::BTreeMap, fmt::Write, process::ExitCode};

use crate::{cargo, target_dir};

/// The rules and store modules of the reference server.
const FILES: [&str; 7] = [
    "reference-server/src/presence.rs",
    "reference-server/src/store.rs",
    "reference-server/src/query_string.rs",
    "reference-server/src/time.rs",
    "reference-server/src/accounts.rs",
    "reference-server/src/directory/*.rs",
    "reference-server/src/companion/*.rs",
];

/// `--fast`: the unit tests and the integration tests of the rules.
const FAST_TESTS: [&str; 11] = [
    "--lib",
    "--test",
    "presence",
    "--test",
    "directory",
    "--test",
    "rocketchat_e2e",
    "--test",
    "companion",
    "--test",
    "auth",
];

/// Test binaries that do not judge the server's rules.
const TEST_FILTER: &str = "not (binary(kill_matrix) | binary(browser))";

/// `fast` judges mutants by the server's rule tests only; `args` go to cargo-mutants.
pub fn run(fast: bool, args: &[String]) -> Result<ExitCode, String> {
    ensure_installed()?;
    let out_dir = target_dir().join("mutants");
    let mut cmd = cargo();
    cmd.args(["mutants", "--package", "rocketchat-reference-server"])
        .args(["--test-tool", "nextest"])
        .args(["--test-package", "reference-server"]);
    if fast {
        cmd.env("CARGO_PROFILE_DEV_DEBUG", "0")
            .env("CARGO_PROFILE_TEST_DEBUG", "0")
            .args(["--minimum-test-timeout", "60"]);
    } else {
        cmd.args(["--test-package", "conformance"])
            .args(["--minimum-test-timeout", "120"]);
    }
    cmd.arg("--output").arg(&out_dir);
    if !args
        .iter()
        .any(|a| *a == "--file" || *a == "-f" || a.starts_with("--file="))
    {
        for f in FILES {
            cmd.args(["--file", f]);
        }
    }
    cmd.args(args.iter().filter(|a| a.as_str() != "--"));
    if fast {
        cmd.arg("--").args(FAST_TESTS);
    } else {
        cmd.args(["--", "-E", TEST_FILTER]);
    }
    let shown = format!("{cmd:?}");
    eprintln!("running {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run cargo mutants: {e}"))?;
    // cargo-mutants exits 0 (all caught), 2 (some missed), 3 (timeouts): all are results.
    let code = status.code().unwrap_or(1);
    if !matches!(code, 0 | 2 | 3) {
        return Err(format!("cargo mutants failed (exit status {code})"));
    }
    let report = report(&out_dir.join("mutants.out"), &shown)?;
    let path = target_dir().join("mutants-report.md");
    std::fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    print!("{report}");
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn ensure_installed() -> Result<(), String> {
    let installed = cargo()
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    eprintln!("cargo-mutants is missing: cargo install cargo-mutants --locked");
    let mut install = cargo();
    install.args(["install", "cargo-mutants", "--locked"]);
    match install.status() {
        Ok(s) if s.success() => Ok(()),
        _ => Err("installing cargo-mutants failed".into()),
    }
}

/// Reads cargo-mutants' `caught.txt`, `missed.txt`, `unviable.txt`, `timeout.txt` (one
/// mutant a line, `path:line:col: description`) into the Markdown report.
pub fn report(dir: &std::path::Path, command: &str) -> Result<String, String> {
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    if !dir.exists() {
        return Err(format!("no {} (did cargo mutants run?)", dir.display()));
    }
    let (caught, missed, unviable, timeout) = (
        read("caught.txt"),
        read("missed.txt"),
        read("unviable.txt"),
        read("timeout.txt"),
    );
    let viable = caught.len() + missed.len() + timeout.len();
    let score = if viable == 0 {
        0.0
    } else {
        100.0 * (caught.len() + timeout.len()) as f64 / viable as f64
    };
    let mut out = String::from("# Mutation score of the reference server\n\n");
    let _ = writeln!(out, "Command: `{command}`\n");
    let _ = writeln!(
        out,
        "| caught | missed | timeout | unviable | score (caught + timeout) / viable |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {score:.1}% |\n",
        caught.len(),
        missed.len(),
        timeout.len(),
        unviable.len()
    );
    let mut per_file: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for (i, list) in [&caught, &missed, &timeout].into_iter().enumerate() {
        for m in list {
            let file = m.split(':').next().unwrap_or("").to_owned();
            per_file.entry(file).or_default()[i] += 1;
        }
    }
    out.push_str("| file | caught | missed | timeout |\n|---|---|---|---|\n");
    for (file, [c, m, t]) in &per_file {
        let _ = writeln!(out, "| `{file}` | {c} | {m} | {t} |");
    }
    out.push_str("\n## Missed mutants\n\n");
    if missed.is_empty() {
        out.push_str("None.\n");
    }
    for m in &missed {
        let _ = writeln!(out, "- `{m}`");
    }
    Ok(out)
}

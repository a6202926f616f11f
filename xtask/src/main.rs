/*!
Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

- `serve [ARGS…]`: the reference server on 127.0.0.1:3000 with `fixtures/default.json`; ARGS go
  to the server (`cargo xtask serve -- --help`).
- `openapi`: writes `openapi/openapi.json` from the server's code.
- `fixtures --users N --rooms M --seed S [--out PATH]`: writes a generated fixture file
  (default `target/fixtures-N.json`), deterministic for a seed.
- `bench [--large] [--check] [--suite]`: the performance figures in `bench/` (see `bench.rs`).
- `mutants [--fast] [ARGS…]`: cargo-mutants over the reference server's rules.

Every task has `--help`; usage errors exit 2. `serve` and `conform` pass `--help` on to the
server and the suite.
- `conform [ARGS…]`: the conformance suite. With `--url` (or `CONFORM_URL`) it checks that server;
  without, it builds the reference server, starts it on a free loopback port with test control,
  checks it, and stops it. ARGS go to the suite (`cargo xtask conform --help`).
*/

mod bench;
mod delay_proxy;
mod fixtures;
mod mutants;
mod tidy;

use clap::{Parser, Subcommand};
use std::{
    env,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

/// Project tasks of the Rocket.Chat presence & directory conformance project.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the reference server on 127.0.0.1:3000 with fixtures/default.json; the arguments go
    /// to the server (`cargo xtask serve --help` shows its flags)
    #[command(disable_help_flag = true)]
    Serve {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Write openapi/openapi.json from the reference server's code
    Openapi,
    /// Run the conformance suite against --url URL, or against a reference server it builds and
    /// starts; the arguments go to the suite (`cargo xtask conform --help` shows its flags)
    #[command(disable_help_flag = true)]
    Conform {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Write a generated fixture file, deterministic for a seed
    Fixtures {
        /// How many users
        #[arg(long, default_value = "10000", value_parser = count)]
        users: u64,
        /// How many rooms (default: a tenth of the users)
        #[arg(long, value_parser = count)]
        rooms: Option<u64>,
        /// The generator's seed
        #[arg(long, default_value = "1", value_parser = count)]
        seed: u64,
        /// Where to write it (default: target/fixtures-USERS.json)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Measure latency, throughput, load time and memory of the release build; write bench/
    Bench {
        /// Add a workspace of 1M users
        #[arg(long)]
        large: bool,
        /// Compare with the committed bench/results.json and fail on a regression
        #[arg(long)]
        check: bool,
        /// Measure only the conformance suite's wall time (loopback and at a distance), keeping
        /// the committed server figures
        #[arg(long)]
        suite: bool,
    },
    /// Run cargo-mutants over the reference server's rules and store (slow; not part of CI)
    Mutants {
        /// Judge each mutant by the server's own rule tests only
        #[arg(long)]
        fast: bool,
        /// Arguments for cargo-mutants (e.g. --file GLOB, --re REGEX)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// A count or seed, `_` allowed between digits (`1_000_000`).
fn count(text: &str) -> Result<u64, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))
}

fn main() -> ExitCode {
    // Usage errors exit 2 and --help 0, as clap does.
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Serve { args } => serve(&args),
        Task::Openapi => openapi(),
        Task::Conform { args } => conform(&args),
        Task::Fixtures {
            users,
            rooms,
            seed,
            out,
        } => generate_fixtures(users, rooms.unwrap_or(users / 10), seed, out),
        Task::Bench {
            large,
            check,
            suite,
        } => bench::run(large, check, suite),
        Task::Mutants { fast, args } => mutants::run(fast, &args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
}

fn status(mut cmd: Command) -> Result<ExitCode, String> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(code.clamp(1, 255) as u8),
        None => ExitCode::FAILURE,
    })
}

fn serve(args: &[String]) -> Result<ExitCode, String> {
    let args: Vec<&String> = args.iter().filter(|a| *a != "--").collect();
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "-p", "rocketchat-reference-server", "--"]);
    if !args.iter().any(|a| a.starts_with("--fixtures"))
        && env::var_os("REFSERVER_FIXTURES").is_none()
    {
        cmd.args(["--fixtures", "fixtures/default.json"]);
    }
    cmd.args(args);
    // Become the suite (Unix), so that Ctrl-C reaches it alone and it can remove what it
    // created before exiting.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = cmd.exec();
        Err(format!("cannot run the conformance binary: {e}"))
    }
    #[cfg(not(unix))]
    status(cmd)
}

/// Asks the reference server's binary for its document (`--openapi`), so that xtask does not
/// link the server, and the tasks that do not need it (`conform --url`) do not build it.
fn openapi() -> Result<ExitCode, String> {
    let path = project_root().join("openapi/openapi.json");
    let out = cargo()
        .args([
            "run",
            "--quiet",
            "-p",
            "rocketchat-reference-server",
            "--",
            "--openapi",
        ])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the reference server did not print its document:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::write(&path, &out.stdout)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

fn conform(args: &[String]) -> Result<ExitCode, String> {
    let args: Vec<&String> = args.iter().filter(|a| *a != "--").collect();
    let has_url =
        args.iter().any(|a| a.starts_with("--url")) || env::var_os("CONFORM_URL").is_some();
    let informational = args
        .iter()
        .any(|a| matches!(a.as_str(), "--help" | "-h" | "--list" | "--version"));
    // The reference server is built only when the suite will start it.
    let mut build = cargo();
    build.args(["build", "--quiet", "-p", "rocketchat-conformance", "--bins"]);
    if !has_url && !informational {
        build.args(["-p", "rocketchat-reference-server"]);
    }
    if status(build)? != ExitCode::SUCCESS {
        return Err("the build failed".into());
    }
    let bin = target_dir().join("debug");
    let mut cmd = Command::new(bin.join(format!("conformance{}", env::consts::EXE_SUFFIX)));
    cmd.current_dir(project_root());
    if !has_url && !informational {
        cmd.arg("--reference-server-bin")
            .arg(bin.join(format!("reference-server{}", env::consts::EXE_SUFFIX)))
            .arg("--reference-server-fixtures")
            .arg(project_root().join("fixtures/default.json"));
    }
    cmd.args(args);
    status(cmd)
}

fn generate_fixtures(
    users: u64,
    rooms: u64,
    seed: u64,
    out: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let (users, rooms) = (users as usize, rooms as usize);
    let path = out.unwrap_or_else(|| target_dir().join(format!("fixtures-{users}.json")));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let (u, r) = fixtures::generate(&path, users, rooms, seed)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!(
        "wrote {} ({u} users, {r} rooms, seed {seed})",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{error::ErrorKind, CommandFactory};

    #[test]
    fn every_task_has_help_and_usage_errors_are_errors() {
        Cli::command().debug_assert();
        for task in ["openapi", "fixtures", "bench", "mutants"] {
            let e = Cli::try_parse_from(["cargo xtask", task, "--help"]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{task}");
            assert_eq!(e.exit_code(), 0, "{task}");
        }
        // serve and conform hand --help to the server and the suite.
        let cli = Cli::try_parse_from(["cargo xtask", "conform", "--help"]).unwrap();
        assert!(matches!(cli.task, Task::Conform { ref args } if args == &["--help"]));
        for wrong in [vec!["bench", "--nope"], vec!["nosuch"], vec![]] {
            let mut argv = vec!["cargo xtask"];
            argv.extend(wrong.iter().copied());
            let e = Cli::try_parse_from(argv).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{wrong:?}");
        }
        let cli = Cli::try_parse_from(["cargo xtask", "fixtures", "--users", "1_000"]).unwrap();
        assert!(matches!(cli.task, Task::Fixtures { users: 1000, .. }));
    }
}

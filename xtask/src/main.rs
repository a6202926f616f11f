/*!
Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

- `serve [ARGS…]`: the reference server on 127.0.0.1:3000 with `fixtures/default.json`; ARGS go
  to the server (`cargo xtask serve -- --help`).
- `openapi`: writes `openapi/openapi.json` from the server's code.
- `fixtures --users N --rooms M --seed S [--out PATH]`: writes a generated fixture file
  (default `target/fixtures-N.json`), deterministic for a seed.
- `bench [--large] [--check]`: the performance figures in `bench/` (see `bench.rs`).
- `conform [ARGS…]`: the conformance suite. With `--url` (or `CONFORM_URL`) it checks that server;
  without, it builds the reference server, starts it on a free loopback port with test control,
  checks it, and stops it. ARGS go to the suite (`cargo xtask conform --help`).
*/

mod bench;
mod fixtures;
mod mutants;
mod tidy;

use std::{
    env,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let result = match task.as_deref() {
        Some("serve") => serve(&rest),
        Some("openapi") => openapi(),
        Some("conform") => conform(&rest),
        Some("fixtures") => generate_fixtures(&rest),
        Some("bench") => bench::run(&rest),
        Some("mutants") => mutants::run(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <serve|openapi|conform|fixtures|bench> [ARGS…]\n\n{}",
                HELP
            );
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = "serve    run the reference server on 127.0.0.1:3000 with fixtures/default.json
openapi  write openapi/openapi.json from the reference server's code
conform  run the conformance suite (against --url URL, or a reference server it starts)
fixtures write a generated fixture: --users N --rooms M --seed S [--out PATH]
bench    measure latency, throughput, memory (--large adds 1M users; --check compares with bench/results.json)";

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
    cmd.args(["run", "--quiet", "-p", "reference-server", "--"]);
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

fn openapi() -> Result<ExitCode, String> {
    let path = project_root().join("openapi/openapi.json");
    std::fs::write(&path, reference_server::document())
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
    let mut build = cargo();
    build.args([
        "build",
        "--quiet",
        "-p",
        "conformance",
        "-p",
        "reference-server",
        "--bins",
    ]);
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

/// Reads `--name value` pairs; unknown names are an error.
fn flags<'a>(
    args: &'a [String],
    known: &[&str],
) -> Result<std::collections::HashMap<String, &'a str>, String> {
    let mut out = std::collections::HashMap::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let name = flag.trim_start_matches("--");
        if !flag.starts_with("--") || !known.contains(&name) {
            return Err(format!(
                "unknown argument {flag:?}; expected one of --{}",
                known.join(", --")
            ));
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        out.insert(name.to_owned(), value.as_str());
    }
    Ok(out)
}

fn number(
    flags: &std::collections::HashMap<String, &str>,
    name: &str,
    default: u64,
) -> Result<u64, String> {
    match flags.get(name) {
        None => Ok(default),
        Some(v) => v
            .replace('_', "")
            .parse()
            .map_err(|_| format!("--{name} {v:?} is not a number")),
    }
}

fn generate_fixtures(args: &[String]) -> Result<ExitCode, String> {
    let f = flags(args, &["users", "rooms", "seed", "out"])?;
    let users = number(&f, "users", 10_000)? as usize;
    let rooms = number(&f, "rooms", (users / 10) as u64)? as usize;
    let seed = number(&f, "seed", 1)?;
    let path = match f.get("out") {
        Some(p) => PathBuf::from(p),
        None => target_dir().join(format!("fixtures-{users}.json")),
    };
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

/*!
The `conformance` binary: parses the command line, refuses usage errors (exit 2) before
anything is sent, starts the reference server when asked to (no `--url`), runs the catalog
with a progress bar when a person is watching (a line per check otherwise, for CI logs),
prints the console report, writes the JUnit, JSON and HTML reports, and exits with the run's
outcome: 0 conformant, 1 a rule broken, 2 not judged, 130 interrupted. With `--compare-with` it
runs the catalog against the other server too, with the same seed, and reports and exits by the
divergences between the two ([`differential`]).
*/

use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;
use conformance::{
    cli::Args,
    differential,
    refserver::ReferenceServer,
    report,
    runner::{self, Observer},
    vocabulary::{CheckResult, Status},
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

struct Console {
    bar: Option<ProgressBar>,
    verbose: bool,
    total: usize,
    done: usize,
}

impl Observer for Console {
    fn started(&mut self, total: usize) {
        self.total = total;
        let attended =
            std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() && !self.verbose;
        if attended {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
                bar.set_style(style);
            }
            self.bar = Some(bar);
        }
    }

    fn finished(&mut self, r: &CheckResult) {
        self.done += 1;
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(r.id.clone());
                if matches!(r.status, Status::Fail | Status::Error) {
                    bar.println(format!("{} {}", r.status, r.id));
                }
            }
            None if self.verbose => eprintln!("{} {}\n", r.status, r.id),
            // Unattended (CI): one line per check, so that a log shows how far the run got.
            None => eprintln!("[{}/{}] {} {}", self.done, self.total, r.status, r.id),
        }
    }

    fn message(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

/// What the other server's run in differential mode says as it goes: only its messages
/// (set-up, seed), marked as the other server's; the target's run has the progress.
struct OtherSide;

impl Observer for OtherSide {
    fn started(&mut self, _total: usize) {}

    fn finished(&mut self, _result: &CheckResult) {}

    fn message(&mut self, text: &str) {
        eprintln!("[compared with] {text}");
    }
}

/// Writes to stdout; a reader that went away (`conformance --list | head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// A usage error: said on stderr, exit 2, nothing sent.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("conformance: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let catalog = conformance::catalog();
    let mut selection = conformance::config::Config::new("");
    args.select(&mut selection);
    let selected: Vec<_> = runner::selection(&catalog, &selection)
        .into_iter()
        .cloned()
        .collect();
    if selected.is_empty() {
        return usage_error(&runner::empty_selection(&selection));
    }
    if args.list {
        emit(&report::list(&selected, catalog.len()));
        return ExitCode::SUCCESS;
    }
    if let Some(url) = &args.url {
        if let Err(e) = conformance::cli::check_url(url) {
            return usage_error(&e);
        }
    }
    conformance::interrupt::install();
    let mut server = None;
    let (url, reference) = match (
        &args.url,
        &args.reference_server_bin,
        &args.reference_server_fixtures,
    ) {
        (Some(url), _, _) => (url.clone(), false),
        (None, Some(bin), Some(fixtures)) => match ReferenceServer::start_with(
            bin,
            fixtures,
            true,
            reference_version(args.rocketchat_version.as_deref()).as_deref(),
        ) {
            Ok(s) => {
                let url = s.url.clone();
                eprintln!("started the reference server at {url}");
                server = Some(s);
                (url, true)
            }
            Err(e) => return usage_error(&e),
        },
        _ => {
            return usage_error("give --url URL (or CONFORM_URL), or --reference-server-bin and --reference-server-fixtures")
        }
    };
    let mut config = match args.to_config(&url, reference) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let (other_config, allowed) = match (args.other_config(&config), args.allowed_divergences()) {
        (Ok(other), Ok(allowed)) => (other, allowed),
        (Err(e), _) | (_, Err(e)) => return usage_error(&e),
    };
    let mut other_config = other_config;
    if let Some(other) = other_config.as_mut() {
        // Both runs draw the same cases and sequences.
        let seed = *config
            .seed
            .get_or_insert_with(|| conformance::random::u64() % 1_000_000_000_000);
        other.seed = Some(seed);
    }
    let mut console = Console {
        bar: None,
        verbose: args.verbose,
        total: 0,
        done: 0,
    };
    // Differential mode: the other server's run goes on beside the target's (each server sees
    // only its own run; the two are compared once both are done).
    let (report, other_report) = std::thread::scope(|scope| {
        let other_run = other_config.as_ref().map(|other| {
            eprintln!(
                "differential mode: the same catalog against {} beside the target's run",
                other.url
            );
            scope.spawn(move || runner::run(other, &mut OtherSide))
        });
        let report = runner::run(&config, &mut console);
        let other_report = other_run.map(|run| {
            run.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (report, other_report)
    });
    if let Some(bar) = console.bar.take() {
        bar.finish_and_clear();
    }
    let compared = other_config.zip(other_report).map(|(other, other_report)| {
        let mut divergences = differential::compare(&report, &other_report, &allowed);
        if !conformance::interrupt::requested() {
            conformance::differential_shrink::shrink_model_divergences(
                &config,
                &other,
                &report,
                &other_report,
                &mut divergences,
                &mut |m| eprintln!("{m}"),
            );
        }
        (other_report, divergences)
    });
    drop(server);
    emit(&report::console(&report));
    let (junit, json, mut html) = match &compared {
        None => (
            report::junit(&report),
            report::json(&report),
            conformance::html::html(&report),
        ),
        Some((other, divergences)) => {
            emit(&differential::console(other, divergences));
            (
                report::junit_with(&report, vec![differential::junit_suite(other, divergences)]),
                differential::json(&report, other, divergences),
                conformance::html::html(&report),
            )
        }
    };
    if let Some((other, divergences)) = &compared {
        html = html.replacen(
            "</main></body>",
            &format!(
                "{}</main></body>",
                differential::html_section(other, divergences)
            ),
            1,
        );
    }
    let mut written = true;
    for (path, text) in [(&args.junit, junit), (&args.json, json), (&args.html, html)] {
        if let Some(path) = path {
            match std::fs::write(path, text) {
                Ok(()) => eprintln!("wrote {}", path.display()),
                Err(e) => {
                    eprintln!("conformance: cannot write {}: {e}", path.display());
                    written = false;
                }
            }
        }
    }
    if let Some(path) = &args.markdown {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| {
                let mut text = report::markdown(&report);
                if let Some((other, divergences)) = &compared {
                    text.push_str(&differential::markdown(other, divergences));
                }
                std::io::Write::write_all(&mut f, text.as_bytes())
            });
        match appended {
            Ok(()) => eprintln!("wrote {}", path.display()),
            Err(e) => {
                eprintln!("conformance: cannot write {}: {e}", path.display());
                written = false;
            }
        }
    }
    if conformance::interrupt::requested() {
        eprintln!("conformance: interrupted; the checks not reached are reported as not run");
        return ExitCode::from(130);
    }
    let code = match &compared {
        Some((other, divergences)) => differential::exit_code(&report, other, divergences),
        None => report.exit_code(),
    };
    match (code, written) {
        (0, false) => ExitCode::from(2),
        (code, _) => ExitCode::from(code as u8),
    }
}

/// The release to start the reference server as when `--rocketchat-version` names one: that
/// release when the suite knows it (5.0 to the newest it was checked against), else the suite's
/// example of the line it judges it by, as the server refuses releases outside what it knows.
/// An unreadable version is left to the usage check.
fn reference_version(asked: Option<&str>) -> Option<String> {
    let asked = asked?;
    let (line, known) = conformance::versions::Line::of(asked).ok()?;
    let major: u32 = asked
        .trim()
        .trim_start_matches(['v', 'V'])
        .split(['.', '-', '+'])
        .next()?
        .parse()
        .ok()?;
    Some(if known && major >= 5 {
        asked.to_owned()
    } else {
        line.example().to_owned()
    })
}

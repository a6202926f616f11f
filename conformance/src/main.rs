/*!
The `conformance` binary: parses the command line, starts the reference server when asked to
(no `--url`), runs the catalog with a progress bar when a person is watching, prints the
console report, writes the JUnit and JSON reports, and exits 0 only when no selected check
failed or errored.
*/

use std::{io::IsTerminal, process::ExitCode};

use clap::Parser;
use conformance::{
    cli::Args,
    model::{CheckResult, Status},
    refserver::ReferenceServer,
    report,
    runner::{self, Observer},
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

struct Console {
    bar: Option<ProgressBar>,
    verbose: bool,
}

impl Observer for Console {
    fn started(&mut self, total: usize) {
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
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(r.id.clone());
                if matches!(r.status, Status::Fail | Status::Error) {
                    bar.println(format!("{} {}", r.status, r.id));
                }
            }
            None if self.verbose => eprintln!("{} {}\n", r.status, r.id),
            None => {}
        }
    }

    fn message(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        print!("{}", report::list(&conformance::catalog()));
        return ExitCode::SUCCESS;
    }
    conformance::interrupt::install();
    let mut server = None;
    let (url, reference) = match (
        &args.url,
        &args.reference_server_bin,
        &args.reference_server_fixtures,
    ) {
        (Some(url), _, _) => (url.clone(), false),
        (None, Some(bin), Some(fixtures)) => match ReferenceServer::start(bin, fixtures) {
            Ok(s) => {
                let url = s.url.clone();
                eprintln!("started the reference server at {url}");
                server = Some(s);
                (url, true)
            }
            Err(e) => {
                eprintln!("conformance: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("conformance: give --url URL (or CONFORM_URL), or --reference-server-bin and --reference-server-fixtures");
            return ExitCode::from(2);
        }
    };
    let config = match args.to_config(&url, reference) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let mut console = Console {
        bar: None,
        verbose: args.verbose,
    };
    let report = runner::run(&config, &mut console);
    if let Some(bar) = console.bar.take() {
        bar.finish_and_clear();
    }
    drop(server);
    print!("{}", report::console(&report));
    let mut ok = true;
    for (path, text) in [
        (&args.junit, report::junit(&report)),
        (&args.json, report::json(&report)),
        (&args.html, conformance::html::html(&report)),
    ] {
        if let Some(path) = path {
            match std::fs::write(path, text) {
                Ok(()) => eprintln!("wrote {}", path.display()),
                Err(e) => {
                    eprintln!("conformance: cannot write {}: {e}", path.display());
                    ok = false;
                }
            }
        }
    }
    if conformance::interrupt::requested() {
        eprintln!("conformance: interrupted; the checks not run are reported as errors");
        return ExitCode::from(130);
    }
    if report.exit_code() == 0 && ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

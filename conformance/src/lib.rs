/*!
A conformance suite for Rocket.Chat's `GET /api/v1/users.presence` and `GET /api/v1/directory`.

The contract is in the repository's `docs/contract/`: Rocket.Chat's documentation pages for the
two endpoints (level MUST) and what only Rocket.Chat's implementation does (level SHOULD), rule
by rule, each with an anchor every check cites ([`contract::RULES`]). The library holds the
check catalog ([`catalog()`]), the [`runner`], the HTTP client ([`http`]) and the [`report`]
renderers, so that the `conformance` binary, `cargo xtask conform`, and tests (the kill matrix
among them) run the very same code:

```no_run
let mut config = conformance::config::Config::new("http://127.0.0.1:3000");
config.credentials = Some(conformance::config::Credentials::Login {
    username: "rocketchat.internal.admin.test".into(),
    password: "rocketchat.internal.admin.test".into(),
});
let report = conformance::runner::run(&config, &mut conformance::runner::Quiet);
println!("{}", conformance::report::console(&report));
```

Architecture invariant: nothing here depends on the reference server's code; the reference
server is only ever started as a binary ([`refserver`]).
*/

pub mod catalog;
pub mod cli;
pub mod companion;
pub mod config;
pub mod context;
pub mod contract;
pub mod differential;
pub mod differential_shrink;
pub mod html;
pub mod http;
pub mod interrupt;
pub mod kill_matrix;
pub mod managed;
pub mod oracle;
pub mod random;
pub mod refserver;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod setup;
pub mod shape;
pub mod timefmt;
pub mod versions;
pub mod vocabulary;

pub use catalog::{catalog, Check};
pub use runner::{run, run_checks, Report};
pub use vocabulary::{CheckResult, Level, Status};

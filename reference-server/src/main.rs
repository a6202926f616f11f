//! The reference server's command line: `reference-server --help`.

use std::{net::IpAddr, path::PathBuf, process::ExitCode, sync::Arc};

use clap::Parser;
use poem::{
    listener::{Acceptor, Listener, TcpListener},
    Server,
};
use reference_server::{app, AppState, FixtureSource, ServerOptions, Settings};

/// mimalloc rather than glibc's allocator: loading a million users allocates tens of millions of
/// small strings (15% faster to load, for about 20 MiB more at the peak), and each directory
/// answer makes a few dozen short-lived allocations (`cargo xtask bench` measured both).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Reference implementation of Rocket.Chat's users.presence and directory REST endpoints.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "REFSERVER_ADDRESS", default_value = "127.0.0.1")]
    address: IpAddr,
    /// Port to listen on; 0 picks a free one (the address is printed on stdout).
    #[arg(long, env = "REFSERVER_PORT", default_value_t = 3000)]
    port: u16,
    /// Fixture file to load.
    #[arg(
        long,
        env = "REFSERVER_FIXTURES",
        default_value = "fixtures/default.json"
    )]
    fixtures: PathBuf,
    /// Serve the test-control API under /test-control (clock, settings, fixture reload). No
    /// credentials are needed for it: use only on loopback.
    #[arg(long, env = "REFSERVER_TEST_CONTROL")]
    test_control: bool,
    /// Start with the clock stopped at this ISO 8601 instant (moves only through test control).
    #[arg(long, env = "REFSERVER_CLOCK_START")]
    clock_start: Option<String>,
    /// The Rocket.Chat release to behave as, 5.0 to 8.8 (e.g. 7.10); `GET /api/info` reports it.
    /// Each version-dependent rule follows that release's line: 5.x, 6.x, 7.0-8.3, 8.4, 8.5 or
    /// 8.6+. Choosing 8.4 also emulates its regression: `ids=a,b` answers no users. Where a
    /// release and the documentation pages disagree (`query`, `fields`), the pages win.
    #[arg(
        long,
        env = "REFSERVER_ROCKETCHAT_VERSION",
        default_value = reference_server::version::DEFAULT_VERSION,
        value_parser = reference_server::version::Emulated::parse
    )]
    rocketchat_version: reference_server::version::Emulated,
    /// Setting Presence_broadcast_disabled: users.presence answers an empty full list.
    #[arg(long, env = "REFSERVER_PRESENCE_BROADCAST_DISABLED")]
    presence_broadcast_disabled: bool,
    /// Setting API_Default_Count: directory page size when count is absent.
    #[arg(long, env = "REFSERVER_API_DEFAULT_COUNT", default_value_t = 50)]
    api_default_count: i64,
    /// Setting API_Upper_Count_Limit: the largest directory page.
    #[arg(long, env = "REFSERVER_API_UPPER_COUNT_LIMIT", default_value_t = 100)]
    api_upper_count_limit: i64,
    /// Setting Accounts_SearchFields: user fields directory searches (workspace=local).
    #[arg(
        long,
        env = "REFSERVER_ACCOUNTS_SEARCH_FIELDS",
        default_value = "username, name, bio, nickname"
    )]
    accounts_search_fields: String,
    /// Setting Federation_Enabled: directory with workspace=all includes federated users.
    #[arg(long, env = "REFSERVER_FEDERATION_ENABLED")]
    federation_enabled: bool,
    /// Print the OpenAPI document on stdout and exit (`cargo xtask openapi` writes it to
    /// openapi/openapi.json this way).
    #[arg(long)]
    openapi: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,poem=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if cli.openapi {
        print!("{}", reference_server::document());
        return ExitCode::SUCCESS;
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("reference-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let start_clock_at = match &cli.clock_start {
        None => None,
        Some(s) => Some(
            reference_server::time::parse_datetime(s)
                .ok_or_else(|| format!("--clock-start {s:?} is not an ISO 8601 datetime"))?,
        ),
    };
    let options = ServerOptions {
        fixture: FixtureSource::File(cli.fixtures.clone()),
        settings: Settings {
            presence_broadcast_disabled: cli.presence_broadcast_disabled,
            api_default_count: cli.api_default_count,
            api_upper_count_limit: cli.api_upper_count_limit,
            accounts_search_fields: cli.accounts_search_fields.clone(),
            federation_enabled: cli.federation_enabled,
        },
        emulated: cli.rocketchat_version.clone(),
        test_control: cli.test_control,
        start_clock_at,
    };
    let state = AppState::new(options).map_err(|e| format!("cannot load fixtures: {e}"))?;
    let users = state.store.read().user_count();
    let acceptor = TcpListener::bind((cli.address, cli.port))
        .into_acceptor()
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", cli.address, cli.port))?;
    let local = acceptor
        .local_addr()
        .into_iter()
        .find_map(|a| a.as_socket_addr().copied())
        .ok_or("the listener has no socket address")?;
    let base = format!("http://{local}");
    tracing::info!("loaded {} users from {}", users, cli.fixtures.display());
    tracing::info!(
        "behaving as Rocket.Chat {} (line {})",
        cli.rocketchat_version.version,
        cli.rocketchat_version.line
    );
    tracing::info!("API:          {base}/api/v1/  (e.g. {base}/api/v1/users.presence)");
    tracing::info!("OpenAPI:      {base}/openapi.json");
    tracing::info!("Swagger UI:   {base}/docs");
    if cli.test_control {
        tracing::warn!("test control is ON at {base}/test-control/ (no credentials needed)");
    }
    // One machine-readable line on stdout for tools that start the server on port 0.
    println!("reference-server listening on {base}");
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            app(Arc::new(state)),
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            Some(std::time::Duration::from_secs(2)),
        )
        .await
        .map_err(|e| format!("server error: {e}"))
}

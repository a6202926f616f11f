/*!
The command line (every flag with a `CONFORM_*` environment twin, as CI systems prefer) and
its translation into a [`Config`]. Kept in the library so that `--help` is tested and the
reference-server mode's defaults live in one place.
*/

use std::{path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

use crate::config::{read_expect_fail, Config, Credentials, DirectoryForm};
use crate::vocabulary::Level;

/// The admin of the reference server's default fixtures (reference-server mode only).
pub const REFERENCE_ADMIN: (&str, &str) = (
    "rocketchat.internal.admin.test",
    "rocketchat.internal.admin.test",
);
/// A normal user of the reference server's default fixtures (reference-server mode only).
pub const REFERENCE_SECOND: (&str, &str) = ("normal.user", "rocket.chat");

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Must,
    Should,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormArg {
    /// query={"text":…,"type":…,"workspace":…} as in the seed document
    Query,
    /// top-level text, type, workspace (Rocket.Chat 7.0+)
    TopLevel,
}

/// Checks a server's users.presence and directory endpoints against Rocket.Chat's documents.
///
/// Without --url it needs --reference-server-bin and --reference-server-fixtures (as `cargo xtask
/// conform` passes them): it starts that server on a free loopback port with test control,
/// checks it and stops it.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "conformance",
    version,
    after_help = "Exit status:\n  \
      0    conformant for the selected checks (known failures from --expect-fail aside)\n  \
      1    the target broke a rule: a selected check that ran failed or errored\n  \
      2    the target could not be judged: a usage error (bad flag, bad --url, a selection that\n       \
           leaves no check), or set-up failed (unreachable, not a Rocket.Chat API, credentials\n       \
           refused, an answer too large), or the run stopped early (the target stopped\n       \
           answering, --max-duration) with no failure among the checks that ran\n  \
      130  interrupted (Ctrl-C)\n\
      With --compare-with: 0 no divergence (allowed ones aside), 1 a divergence, 2 either server\n\
      could not be judged, 130 interrupted"
)]
pub struct Args {
    /// Base URL of the server to check, e.g. http://127.0.0.1:3000
    #[arg(long, env = "CONFORM_URL")]
    pub url: Option<String>,
    /// X-User-Id of the caller (with --auth-token)
    #[arg(long, env = "CONFORM_USER_ID", requires = "auth_token")]
    pub user_id: Option<String>,
    /// X-Auth-Token of the caller (with --user-id)
    #[arg(
        long,
        env = "CONFORM_AUTH_TOKEN",
        requires = "user_id",
        hide_env_values = true
    )]
    pub auth_token: Option<String>,
    /// Username to log in with (with --password); the suite logs out at the end
    #[arg(
        long,
        env = "CONFORM_USERNAME",
        requires = "password",
        conflicts_with = "user_id"
    )]
    pub username: Option<String>,
    /// Password for --username
    #[arg(
        long,
        env = "CONFORM_PASSWORD",
        requires = "username",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// Whether the caller is an administrator (default: the login answer's roles; unknown for tokens)
    #[arg(long, env = "CONFORM_ADMIN")]
    pub admin: Option<bool>,
    /// Managed mode: an administrator's username (with --admin-password); the suite creates
    /// and removes its own users, channels, groups and teams
    #[arg(long, env = "CONFORM_ADMIN_USERNAME", requires = "admin_password")]
    pub admin_username: Option<String>,
    /// Managed mode: the administrator's password
    #[arg(
        long,
        env = "CONFORM_ADMIN_PASSWORD",
        requires = "admin_username",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// Managed mode: an administrator's X-User-Id (with --admin-auth-token)
    #[arg(
        long,
        env = "CONFORM_ADMIN_USER_ID",
        requires = "admin_auth_token",
        conflicts_with = "admin_username"
    )]
    pub admin_user_id: Option<String>,
    /// Managed mode: the administrator's X-Auth-Token
    #[arg(
        long,
        env = "CONFORM_ADMIN_AUTH_TOKEN",
        requires = "admin_user_id",
        hide_env_values = true
    )]
    pub admin_auth_token: Option<String>,
    /// Managed mode: leave the created data in place (for debugging)
    #[arg(long, env = "CONFORM_KEEP")]
    pub keep: bool,
    /// A second user's username, for "another user's token" and non-admin checks
    #[arg(long, env = "CONFORM_SECOND_USERNAME", requires = "second_password")]
    pub second_username: Option<String>,
    #[arg(
        long,
        env = "CONFORM_SECOND_PASSWORD",
        requires = "second_username",
        hide_env_values = true
    )]
    pub second_password: Option<String>,
    /// A second user's X-User-Id (with --second-auth-token)
    #[arg(
        long,
        env = "CONFORM_SECOND_USER_ID",
        requires = "second_auth_token",
        conflicts_with = "second_username"
    )]
    pub second_user_id: Option<String>,
    #[arg(
        long,
        env = "CONFORM_SECOND_AUTH_TOKEN",
        requires = "second_user_id",
        hide_env_values = true
    )]
    pub second_auth_token: Option<String>,
    /// Whether the second user is an administrator (default: from its login answer)
    #[arg(long, env = "CONFORM_SECOND_ADMIN")]
    pub second_admin: Option<bool>,
    /// Run only checks whose id starts with PREFIX (repeatable)
    #[arg(long, env = "CONFORM_FILTER", value_delimiter = ',')]
    pub filter: Vec<String>,
    /// Do not run checks whose id starts with ID (repeatable; reported as Disabled)
    #[arg(long, env = "CONFORM_SKIP", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Run only checks of this level (repeatable)
    #[arg(long, env = "CONFORM_LEVEL", value_delimiter = ',')]
    pub level: Vec<LevelArg>,
    /// Known failures: a file of `CHECK-ID reason` lines; they are reported but do not fail the run
    #[arg(long, env = "CONFORM_EXPECT_FAIL")]
    pub expect_fail: Option<PathBuf>,
    /// Per-request timeout in seconds. After 3 timeouts in a row the target is taken to have
    /// stopped answering: the checks left are not run (exit 2 unless a check failed)
    #[arg(long, env = "CONFORM_TIMEOUT", default_value_t = 10.0)]
    pub timeout: f64,
    /// The longest the whole run may take, in seconds (0: no limit); the checks not reached by
    /// then are not run
    #[arg(long, env = "CONFORM_MAX_DURATION", default_value_t = crate::config::DEFAULT_MAX_DURATION_S)]
    pub max_duration: u64,
    /// How many checks run at once; checks that would disturb each other (clock, settings,
    /// data they compare) never do, and reports stay in catalog order. 1 runs them one by one
    #[arg(long, env = "CONFORM_JOBS", default_value_t = crate::schedule::DEFAULT_JOBS as u64, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,
    /// At most this many requests per second over all jobs (0: no limit)
    #[arg(long, env = "CONFORM_RATE_LIMIT", default_value_t = 0.0)]
    pub rate_limit: f64,
    /// The longest 429 Retry-After the suite waits, in seconds
    #[arg(long, env = "CONFORM_MAX_RETRY_WAIT", default_value_t = 30)]
    pub max_retry_wait: u64,
    /// Larger bodies are an Error
    #[arg(long, env = "CONFORM_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seed of the property checks (random and printed when absent)
    #[arg(long, env = "CONFORM_SEED")]
    pub seed: Option<u64>,
    /// Cases per property check
    #[arg(long, env = "CONFORM_CASES", default_value_t = 32)]
    pub cases: u32,
    /// Random operation sequences per model-based check (managed mode)
    #[arg(long, env = "CONFORM_MODEL_SEQUENCES", default_value_t = 12)]
    pub model_sequences: u32,
    /// The longest operation sequence of the model-based checks
    #[arg(long, env = "CONFORM_MODEL_STEPS", default_value_t = 30)]
    pub model_steps: u32,
    /// How long the model-based checks may shrink a failing sequence, in seconds
    #[arg(long, env = "CONFORM_MODEL_SHRINK_SECONDS", default_value_t = 60)]
    pub model_shrink_seconds: u32,
    /// Without test control, how far from the 10-minute boundary time checks stay (ms; the
    /// clock-skew uncertainty is added)
    #[arg(long, env = "CONFORM_TIME_MARGIN_MS", default_value_t = 5000)]
    pub time_margin_ms: i64,
    /// How directory search criteria are sent (default: as the target's Rocket.Chat version
    /// sends them: query up to 6.x, top-level from 7.0)
    #[arg(long, env = "CONFORM_DIRECTORY_PARAMS", value_enum)]
    pub directory_params: Option<FormArg>,
    /// Judge the target as this Rocket.Chat version (e.g. 7.10, 8.4.1); default: the version
    /// GET /api/info reports, else the newest line the suite knows. Lines: 5.x, 6.x, 7.0-8.3,
    /// 8.4, 8.5, 8.6+
    #[arg(long, env = "CONFORM_ROCKETCHAT_VERSION")]
    pub rocketchat_version: Option<String>,
    /// Write a JUnit XML report here
    #[arg(long, env = "CONFORM_JUNIT")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here
    #[arg(long, env = "CONFORM_JSON")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report here
    #[arg(long, env = "CONFORM_HTML")]
    pub html: Option<PathBuf>,
    /// Write a Markdown summary here (appended when the file exists, as
    /// $GITHUB_STEP_SUMMARY expects)
    #[arg(long, env = "CONFORM_MARKDOWN")]
    pub markdown: Option<PathBuf>,
    /// Print every HTTP exchange (secrets redacted) to stderr
    #[arg(long, short, env = "CONFORM_VERBOSE")]
    pub verbose: bool,
    /// Print the catalog (as --filter, --skip and --level select it) and exit
    #[arg(long)]
    pub list: bool,
    /// Differential mode: also run the catalog against this server (e.g. a real Rocket.Chat of
    /// the version the target follows) with the same seed, and report every answer that differs
    /// in status, media type, fields or JSON types as a divergence (exit 1)
    #[arg(long, env = "CONFORM_COMPARE_WITH")]
    pub compare_with: Option<String>,
    /// Differential mode: the caller's username on the other server (default: --username)
    #[arg(long, env = "CONFORM_COMPARE_USERNAME", requires = "compare_password")]
    pub compare_username: Option<String>,
    #[arg(
        long,
        env = "CONFORM_COMPARE_PASSWORD",
        requires = "compare_username",
        hide_env_values = true
    )]
    pub compare_password: Option<String>,
    /// Differential mode: an administrator's username on the other server (default:
    /// --admin-username)
    #[arg(
        long,
        env = "CONFORM_COMPARE_ADMIN_USERNAME",
        requires = "compare_admin_password"
    )]
    pub compare_admin_username: Option<String>,
    #[arg(
        long,
        env = "CONFORM_COMPARE_ADMIN_PASSWORD",
        requires = "compare_admin_username",
        hide_env_values = true
    )]
    pub compare_admin_password: Option<String>,
    /// Differential mode: the second user's username on the other server (default:
    /// --second-username)
    #[arg(
        long,
        env = "CONFORM_COMPARE_SECOND_USERNAME",
        requires = "compare_second_password"
    )]
    pub compare_second_username: Option<String>,
    #[arg(
        long,
        env = "CONFORM_COMPARE_SECOND_PASSWORD",
        requires = "compare_second_username",
        hide_env_values = true
    )]
    pub compare_second_password: Option<String>,
    /// Differential mode: the caller's X-User-Id on the other server (with
    /// --compare-auth-token)
    #[arg(
        long,
        env = "CONFORM_COMPARE_USER_ID",
        requires = "compare_auth_token",
        conflicts_with = "compare_username"
    )]
    pub compare_user_id: Option<String>,
    #[arg(
        long,
        env = "CONFORM_COMPARE_AUTH_TOKEN",
        requires = "compare_user_id",
        hide_env_values = true
    )]
    pub compare_auth_token: Option<String>,
    /// Differential mode: an administrator's X-User-Id on the other server (with
    /// --compare-admin-auth-token)
    #[arg(
        long,
        env = "CONFORM_COMPARE_ADMIN_USER_ID",
        requires = "compare_admin_auth_token",
        conflicts_with = "compare_admin_username"
    )]
    pub compare_admin_user_id: Option<String>,
    #[arg(
        long,
        env = "CONFORM_COMPARE_ADMIN_AUTH_TOKEN",
        requires = "compare_admin_user_id",
        hide_env_values = true
    )]
    pub compare_admin_auth_token: Option<String>,
    /// Differential mode: the second user's X-User-Id on the other server (with
    /// --compare-second-auth-token)
    #[arg(
        long,
        env = "CONFORM_COMPARE_SECOND_USER_ID",
        requires = "compare_second_auth_token",
        conflicts_with = "compare_second_username"
    )]
    pub compare_second_user_id: Option<String>,
    #[arg(
        long,
        env = "CONFORM_COMPARE_SECOND_AUTH_TOKEN",
        requires = "compare_second_user_id",
        hide_env_values = true
    )]
    pub compare_second_auth_token: Option<String>,
    /// Differential mode: accepted differences, a file of `DIVERGENCE-ID reason` lines; they
    /// are reported but do not fail the run
    #[arg(long, env = "CONFORM_ALLOW_DIVERGENCE", requires = "compare_with")]
    pub allow_divergence: Option<PathBuf>,
    /// Reference-server mode: the server binary to start (cargo xtask conform passes it)
    #[arg(
        long,
        env = "CONFORM_REFERENCE_SERVER_BIN",
        requires = "reference_server_fixtures"
    )]
    pub reference_server_bin: Option<PathBuf>,
    /// Reference-server mode: its fixture file
    #[arg(long, env = "CONFORM_REFERENCE_SERVER_FIXTURES")]
    pub reference_server_fixtures: Option<PathBuf>,
}

/// One user's credentials from its flags: a token pair wins over a login; `fallback` (the
/// reference fixtures' user) applies when neither is given.
fn credentials(
    token: (&Option<String>, &Option<String>),
    login: (&Option<String>, &Option<String>),
    fallback: Option<(&str, &str)>,
) -> Option<Credentials> {
    match (token, login) {
        ((Some(id), Some(token)), _) => Some(Credentials::Token {
            user_id: id.clone(),
            auth_token: token.clone(),
        }),
        (_, (Some(u), Some(p))) => Some(Credentials::Login {
            username: u.clone(),
            password: p.clone(),
        }),
        _ => fallback.map(|(u, p)| Credentials::Login {
            username: u.into(),
            password: p.into(),
        }),
    }
}

/// A usage error unless `url` is an absolute http or https URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let example = if url.contains("://") {
        "give the server's base URL, e.g. http://127.0.0.1:3000 or https://chat.example.com"
            .to_owned()
    } else {
        format!("give the server's base URL with its scheme, e.g. http://{url}")
    };
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("--url {url:?} is not a URL ({e}): {example}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "--url {url:?} has the scheme {:?}; the suite speaks http and https: {example}",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("--url {url:?} names no host: {example}"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "--url {url:?} has a query or fragment; give the base URL only: {example}"
        ));
    }
    Ok(())
}

impl Args {
    /// Sets `--filter`, `--skip` and `--level` on a configuration (`--list` needs no more).
    pub fn select(&self, c: &mut Config) {
        c.filters = self.filter.clone();
        c.skips = self.skip.clone();
        c.levels = self
            .level
            .iter()
            .map(|l| match l {
                LevelArg::Must => Level::Must,
                LevelArg::Should => Level::Should,
            })
            .collect();
    }

    /// The run's configuration for `url`; `reference` adds the reference fixtures' users as
    /// default credentials.
    pub fn to_config(&self, url: &str, reference: bool) -> Result<Config, String> {
        check_url(url)?;
        let mut c = Config::new(url);
        c.credentials = credentials(
            (&self.user_id, &self.auth_token),
            (&self.username, &self.password),
            reference.then_some(REFERENCE_ADMIN),
        );
        c.second = credentials(
            (&self.second_user_id, &self.second_auth_token),
            (&self.second_username, &self.second_password),
            reference.then_some(REFERENCE_SECOND),
        );
        c.admin_credentials = credentials(
            (&self.admin_user_id, &self.admin_auth_token),
            (&self.admin_username, &self.admin_password),
            reference.then_some(REFERENCE_ADMIN),
        );
        c.keep = self.keep;
        c.admin = self.admin;
        c.second_admin = self.second_admin;
        self.select(&mut c);
        if let Some(path) = &self.expect_fail {
            c.expect_fail = read_expect_fail(path)?;
        }
        if !(self.timeout > 0.0 && self.timeout.is_finite()) {
            return Err("--timeout must be a positive number of seconds".into());
        }
        c.http.timeout = Duration::from_secs_f64(self.timeout);
        c.max_duration = (self.max_duration > 0).then(|| Duration::from_secs(self.max_duration));
        c.http.rate_limit = self.rate_limit.max(0.0);
        c.jobs = self.jobs as usize;
        c.http.max_retry_wait = Duration::from_secs(self.max_retry_wait);
        c.http.max_body_bytes = self.max_body_bytes;
        c.http.verbose = self.verbose;
        c.seed = self.seed;
        c.cases = self.cases;
        c.model_sequences = self.model_sequences.max(1);
        c.model_steps = self.model_steps.max(1);
        c.model_shrink_ms = self.model_shrink_seconds.saturating_mul(1000);
        c.time_margin_ms = self.time_margin_ms.max(0);
        c.directory_form = self.directory_params.map(|f| match f {
            FormArg::Query => DirectoryForm::Query,
            FormArg::TopLevel => DirectoryForm::TopLevel,
        });
        if let Some(v) = &self.rocketchat_version {
            crate::versions::Line::of(v).map_err(|e| format!("--rocketchat-version: {e}"))?;
        }
        c.rocketchat_version = self.rocketchat_version.clone();
        Ok(c)
    }
}

impl Args {
    /// Differential mode: the configuration of the run against `--compare-with`, the same as
    /// `target`'s but for the URL and the credentials given for the other server.
    pub fn other_config(&self, target: &Config) -> Result<Option<Config>, String> {
        let Some(url) = &self.compare_with else {
            return Ok(None);
        };
        check_url(url).map_err(|e| e.replacen("--url", "--compare-with", 1))?;
        let mut c = target.clone();
        c.url = url.clone();
        // The target's logins carry over (test servers often share an admin); its token pairs,
        // issued by the target, cannot.
        let own = |token: (&Option<String>, &Option<String>),
                   login: (&Option<String>, &Option<String>),
                   target: &Option<Credentials>| {
            credentials(token, login, None).or_else(|| {
                target
                    .clone()
                    .filter(|t| matches!(t, Credentials::Login { .. }))
            })
        };
        c.credentials = own(
            (&self.compare_user_id, &self.compare_auth_token),
            (&self.compare_username, &self.compare_password),
            &target.credentials,
        );
        c.admin_credentials = own(
            (&self.compare_admin_user_id, &self.compare_admin_auth_token),
            (&self.compare_admin_username, &self.compare_admin_password),
            &target.admin_credentials,
        );
        c.second = own(
            (
                &self.compare_second_user_id,
                &self.compare_second_auth_token,
            ),
            (&self.compare_second_username, &self.compare_second_password),
            &target.second,
        );
        c.expect_fail.clear();
        Ok(Some(c))
    }

    /// The accepted divergences from `--allow-divergence`.
    pub fn allowed_divergences(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, String> {
        match &self.allow_divergence {
            Some(path) => read_expect_fail(path),
            None => Ok(Default::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn the_other_server_inherits_logins_but_not_token_pairs() {
        let args = Args::parse_from([
            "conformance",
            "--url",
            "http://a:1",
            "--compare-with",
            "http://b:2",
            "--user-id",
            "u",
            "--auth-token",
            "t",
            "--admin-username",
            "root",
            "--admin-password",
            "pw",
            "--compare-second-user-id",
            "s",
            "--compare-second-auth-token",
            "st",
        ]);
        let target = args.to_config("http://a:1", false).unwrap();
        let other = args.other_config(&target).unwrap().unwrap();
        assert_eq!(other.url, "http://b:2");
        assert_eq!(
            other.credentials, None,
            "a token pair of the target is not the other's"
        );
        assert_eq!(other.admin_credentials, target.admin_credentials);
        assert_eq!(
            other.second,
            Some(Credentials::Token {
                user_id: "s".into(),
                auth_token: "st".into()
            })
        );
    }

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        for good in [
            "http://127.0.0.1:3000",
            "https://chat.example.com/",
            "http://h/prefix",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("not-a-url", "is not a URL"),
            ("ftp://h", "scheme"),
            (
                "127.0.0.1:3000",
                "with its scheme, e.g. http://127.0.0.1:3000",
            ),
            (
                "localhost:3000",
                "with its scheme, e.g. http://localhost:3000",
            ),
            ("http://h:3000/?x=1", "query"),
        ] {
            let e = check_url(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let args = Args::parse_from(["conformance"]);
        assert!(args.to_config("not-a-url", false).is_err());
    }

    #[test]
    fn admin_credentials_choose_managed_mode() {
        let args = Args::parse_from([
            "conformance",
            "--admin-username",
            "boss",
            "--admin-password",
            "pw",
            "--keep",
        ]);
        let c = args.to_config("http://x", false).unwrap();
        assert!(
            matches!(c.admin_credentials, Some(Credentials::Login { ref username, .. }) if username == "boss")
        );
        assert!(c.keep);
        let args = Args::parse_from([
            "conformance",
            "--admin-user-id",
            "id1",
            "--admin-auth-token",
            "tok",
        ]);
        let c = args.to_config("http://x", false).unwrap();
        assert!(
            matches!(c.admin_credentials, Some(Credentials::Token { ref user_id, .. }) if user_id == "id1")
        );
        assert!(!c.keep);
        assert!(Args::try_parse_from(["conformance", "--admin-username", "boss"]).is_err());
    }

    #[test]
    fn reference_mode_defaults_to_fixture_users() {
        let args = Args::parse_from(["conformance"]);
        let c = args.to_config("http://x", true).unwrap();
        assert!(
            matches!(c.credentials, Some(Credentials::Login { ref username, .. }) if username == REFERENCE_ADMIN.0)
        );
        assert!(
            matches!(c.second, Some(Credentials::Login { ref username, .. }) if username == REFERENCE_SECOND.0)
        );
        assert!(
            matches!(c.admin_credentials, Some(Credentials::Login { ref username, .. }) if username == REFERENCE_ADMIN.0)
        );
        let c = args.to_config("http://x", false).unwrap();
        assert!(c.credentials.is_none() && c.second.is_none() && c.admin_credentials.is_none());
    }
}

/*!
The test-control API: set or move the server's clock, change settings, switch the Rocket.Chat
release the server behaves as, reload the fixture.

Not part of Rocket.Chat. It answers 404 unless the server was started with `--test-control`, and
it needs no credentials, so never turn it on where others can reach the server.
*/

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::{payload::Json, ApiResponse, Object, OpenApi};

use bytes::Bytes;
use parking_lot::Mutex;
use poem_openapi::param::Query;

use super::common::{ErrorBody, JsonBytes};
use super::ApiTags;
use crate::settings::{Settings, SettingsPatch};
use crate::state::AppState;
use crate::time;
use crate::version::Emulated;

/// The server's clock.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClockState {
    /// The server's now, ISO 8601.
    pub now: String,
    /// The server's now, milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// `true` while the clock is stopped (it moves only when told to).
    pub manual: bool,
    pub success: bool,
}

/// Stops the clock at an instant: give `now` (ISO 8601) or `nowMs`.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct SetClock {
    pub now: Option<String>,
    pub now_ms: Option<i64>,
}

/// Moves the clock by `ms` milliseconds (negative goes back); stops it first if it runs.
#[derive(Debug, Clone, Object)]
pub struct AdvanceClock {
    pub ms: i64,
}

#[derive(Debug, Clone, Object)]
pub struct SettingsState {
    pub settings: Settings,
    pub success: bool,
}

/// The Rocket.Chat release the server behaves as.
#[derive(Debug, Clone, Object)]
pub struct VersionState {
    /// As `GET /api/info` reports it, e.g. `7.10.0`.
    pub version: String,
    /// The version line whose rules apply: `5.x`, `6.x`, `7.0-8.3`, `8.4`, `8.5` or `8.6+`.
    pub line: String,
    pub success: bool,
}

/// The release to behave as, 5.0 to 8.8: `7.10`, `8.4.1`.
#[derive(Debug, Clone, Object)]
pub struct SetVersion {
    pub version: String,
}

#[derive(ApiResponse)]
pub enum VersionResponse {
    #[oai(status = 200)]
    Ok(Json<VersionState>),
    /// Not a version, or a release the server does not emulate.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Test control is off.
    #[oai(status = 404)]
    Off(Json<ErrorBody>),
}

#[derive(Debug, Clone, Object)]
pub struct Reloaded {
    /// How many users the fixture holds.
    pub users: u64,
    pub success: bool,
}

#[derive(ApiResponse)]
pub enum ClockResponse {
    #[oai(status = 200)]
    Ok(Json<ClockState>),
    /// Neither `now` nor `nowMs`, an unparseable `now`, or an instant outside JavaScript's
    /// dates (±8.64e15 ms from the epoch).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Test control is off.
    #[oai(status = 404)]
    Off(Json<ErrorBody>),
}

#[derive(ApiResponse)]
pub enum SettingsResponse {
    #[oai(status = 200)]
    Ok(Json<SettingsState>),
    /// The body is not a settings patch (unknown setting, wrong type).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Test control is off.
    #[oai(status = 404)]
    Off(Json<ErrorBody>),
}

#[derive(ApiResponse)]
pub enum ReloadResponse {
    #[oai(status = 200)]
    Ok(Json<Reloaded>),
    /// The fixture file is invalid now; the data loaded before stays.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Test control is off.
    #[oai(status = 404)]
    Off(Json<ErrorBody>),
}

#[derive(ApiResponse)]
pub enum BaselineResponse {
    #[oai(status = 200)]
    Ok(JsonBytes<Baseline>),
    /// `bytes` is not a non-negative integer.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Test control is off.
    #[oai(status = 404)]
    Off(Json<ErrorBody>),
}

/// `{"pad": "xxx…"}`.
#[derive(Debug, Clone, Object)]
pub struct Baseline {
    pub pad: String,
}

static BASELINE: Mutex<Option<Bytes>> = Mutex::new(None);

fn off() -> Json<ErrorBody> {
    Json(ErrorBody::typed(
        "Test control is off: start the reference server with --test-control",
        "error-test-control-off",
    ))
}

/// A request header that gives one request a clock of its own (test control only): the instant,
/// in milliseconds since the epoch, that the request sees as now. The server's clock does not
/// move, so requests that carry different instants can run side by side.
pub const REQUEST_CLOCK_HEADER: &str = "X-Test-Clock";

/// The instant of a [`REQUEST_CLOCK_HEADER`] value, or the answer that refuses it.
pub fn request_clock(value: &[u8]) -> Result<i64, ErrorBody> {
    let ms = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            ErrorBody::typed(
                format!("{REQUEST_CLOCK_HEADER} must be an integer, milliseconds since the epoch"),
                "error-invalid-date",
            )
        })?;
    within_dates(ms).map_err(|refused| {
        ErrorBody::typed(
            format!("{REQUEST_CLOCK_HEADER}: {}", refused.error),
            "error-invalid-date",
        )
    })?;
    Ok(ms)
}

/// The farthest instant from the epoch a JavaScript `Date` holds, in milliseconds either way.
const DATE_RANGE_MS: i64 = 8_640_000_000_000_000;

/// Refuses a clock outside JavaScript's dates, which Rocket.Chat could not represent.
fn within_dates(ms: i64) -> Result<(), ErrorBody> {
    if (-DATE_RANGE_MS..=DATE_RANGE_MS).contains(&ms) {
        Ok(())
    } else {
        Err(ErrorBody::typed(
            format!("the clock must stay within -{DATE_RANGE_MS} and {DATE_RANGE_MS} ms from the epoch (JavaScript's dates); {ms} is outside"),
            "error-invalid-date",
        ))
    }
}

fn version_state(state: &AppState) -> VersionState {
    let emulated = state.emulated.read();
    VersionState {
        version: emulated.version.clone(),
        line: emulated.line.to_string(),
        success: true,
    }
}

fn clock_state(state: &AppState) -> ClockState {
    let now = state.clock.now();
    ClockState {
        now: time::to_iso(now),
        now_ms: now,
        manual: state.clock.is_manual(),
        success: true,
    }
}

pub struct ControlApi;

#[OpenApi(prefix_path = "/test-control", tag = "ApiTags::TestControl")]
impl ControlApi {
    /// Reads the server's clock
    ///
    /// The server's now, and whether the clock is stopped.
    #[oai(
        path = "/clock",
        method = "get",
        operation_id = "get-test-control-clock"
    )]
    async fn get_clock(&self, state: Data<&Arc<AppState>>) -> ClockResponse {
        if !state.test_control {
            return ClockResponse::Off(off());
        }
        ClockResponse::Ok(Json(clock_state(&state)))
    }

    /// Stops the server's clock at an instant
    ///
    /// Give `now` (ISO 8601) or `nowMs` (milliseconds since the epoch), within JavaScript's dates
    /// (±8.64e15 ms).
    #[oai(
        path = "/clock",
        method = "put",
        operation_id = "put-test-control-clock"
    )]
    async fn set_clock(&self, state: Data<&Arc<AppState>>, body: Json<SetClock>) -> ClockResponse {
        if !state.test_control {
            return ClockResponse::Off(off());
        }
        let at = match (&body.now, body.now_ms) {
            (_, Some(ms)) => ms,
            (Some(now), None) => match time::parse_datetime(now) {
                Some(ms) => ms,
                None => {
                    return ClockResponse::BadRequest(Json(ErrorBody::new(format!(
                        "now {now:?} is not an ISO 8601 datetime"
                    ))))
                }
            },
            (None, None) => {
                return ClockResponse::BadRequest(Json(ErrorBody::new("give now or nowMs")))
            }
        };
        if let Err(e) = within_dates(at) {
            return ClockResponse::BadRequest(Json(e));
        }
        state.clock.set(at);
        ClockResponse::Ok(Json(clock_state(&state)))
    }

    /// Moves the server's clock
    ///
    /// By `ms` milliseconds (negative goes back); a running clock stops first. The result must stay
    /// within JavaScript's dates.
    #[oai(
        path = "/clock/advance",
        method = "post",
        operation_id = "post-test-control-clock-advance"
    )]
    async fn advance_clock(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<AdvanceClock>,
    ) -> ClockResponse {
        if !state.test_control {
            return ClockResponse::Off(off());
        }
        let to = state.clock.now().checked_add(body.ms).unwrap_or(i64::MAX);
        if let Err(e) = within_dates(to) {
            return ClockResponse::BadRequest(Json(e));
        }
        state.clock.advance(body.ms);
        ClockResponse::Ok(Json(clock_state(&state)))
    }

    /// Lets the server's clock follow the system time again
    ///
    /// The clock runs again from the system time; the data stays.
    #[oai(
        path = "/clock",
        method = "delete",
        operation_id = "delete-test-control-clock"
    )]
    async fn resume_clock(&self, state: Data<&Arc<AppState>>) -> ClockResponse {
        if !state.test_control {
            return ClockResponse::Off(off());
        }
        state.clock.resume_system();
        ClockResponse::Ok(Json(clock_state(&state)))
    }

    /// Reads the settings
    ///
    /// The Rocket.Chat settings the two endpoints read, under their Rocket.Chat names.
    #[oai(
        path = "/settings",
        method = "get",
        operation_id = "get-test-control-settings"
    )]
    async fn get_settings(&self, state: Data<&Arc<AppState>>) -> SettingsResponse {
        if !state.test_control {
            return SettingsResponse::Off(off());
        }
        let settings = state.settings.read().clone();
        SettingsResponse::Ok(Json(SettingsState {
            settings,
            success: true,
        }))
    }

    /// Changes settings
    ///
    /// Only the settings named in the body change.
    #[oai(
        path = "/settings",
        method = "patch",
        operation_id = "patch-test-control-settings"
    )]
    async fn patch_settings(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<SettingsPatch>,
    ) -> SettingsResponse {
        if !state.test_control {
            return SettingsResponse::Off(off());
        }
        let mut settings = state.settings.write();
        settings.apply(body.0);
        SettingsResponse::Ok(Json(SettingsState {
            settings: settings.clone(),
            success: true,
        }))
    }

    /// Reads the Rocket.Chat release the server behaves as
    ///
    /// The release `GET /api/info` reports and its version line (`5.x`, `6.x`, `7.0-8.3`, `8.4`,
    /// `8.5` or `8.6+`).
    #[oai(
        path = "/version",
        method = "get",
        operation_id = "get-test-control-version"
    )]
    async fn get_version(&self, state: Data<&Arc<AppState>>) -> VersionResponse {
        if !state.test_control {
            return VersionResponse::Off(off());
        }
        VersionResponse::Ok(Json(version_state(&state)))
    }

    /// Switches the Rocket.Chat release the server behaves as
    ///
    /// Every version-dependent rule follows the new release from the next request on, and
    /// `GET /api/info` reports it. The data stays as it is.
    #[oai(
        path = "/version",
        method = "put",
        operation_id = "put-test-control-version"
    )]
    async fn set_version(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<SetVersion>,
    ) -> VersionResponse {
        if !state.test_control {
            return VersionResponse::Off(off());
        }
        match Emulated::parse(&body.version) {
            Ok(emulated) => {
                *state.emulated.write() = emulated;
                VersionResponse::Ok(Json(version_state(&state)))
            }
            Err(e) => {
                VersionResponse::BadRequest(Json(ErrorBody::typed(e, "error-invalid-version")))
            }
        }
    }

    /// A fixed body of a given size, for benchmarks
    ///
    /// `bytes` (default 1024, at most 64 MiB) bytes of JSON, built once and answered from memory:
    /// the fastest answer this server can give, against which the real endpoints are compared.
    #[oai(
        path = "/baseline",
        method = "get",
        operation_id = "get-test-control-baseline"
    )]
    async fn baseline(
        &self,
        state: Data<&Arc<AppState>>,
        bytes: Query<Option<u64>>,
    ) -> BaselineResponse {
        if !state.test_control {
            return BaselineResponse::Off(off());
        }
        let size = bytes.0.unwrap_or(1024).clamp(16, 64 << 20) as usize;
        let mut cached = BASELINE.lock();
        let body = match cached.as_ref() {
            Some(body) if body.len() == size => body.clone(),
            _ => {
                let mut text = Vec::with_capacity(size);
                text.extend_from_slice(b"{\"pad\":\"");
                text.resize(size - 2, b'x');
                text.extend_from_slice(b"\"}");
                let body = Bytes::from(text);
                *cached = Some(body.clone());
                body
            }
        };
        BaselineResponse::Ok(JsonBytes::new(body))
    }

    /// Reloads the fixture
    ///
    /// Replaces all data with the fixture file's, read again from disk; relative times in it
    /// count from the server's clock now. If the file is invalid, the data stays as it was.
    #[oai(
        path = "/fixtures/reload",
        method = "post",
        operation_id = "post-test-control-fixtures-reload"
    )]
    async fn reload(&self, state: Data<&Arc<AppState>>) -> ReloadResponse {
        if !state.test_control {
            return ReloadResponse::Off(off());
        }
        match state.reload_fixture() {
            Ok(()) => ReloadResponse::Ok(Json(Reloaded {
                users: state.store.read().user_count() as u64,
                success: true,
            })),
            Err(e) => ReloadResponse::BadRequest(Json(ErrorBody::typed(
                e.to_string(),
                "error-invalid-fixture",
            ))),
        }
    }
}

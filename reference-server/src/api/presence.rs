/*!
`GET /api/v1/users.presence`: reads the request, asks [`crate::presence`] for the answer.
*/

use std::sync::Arc;

use poem::{web::Data, Request};
use poem_openapi::{payload::Json, ApiResponse, Object, OpenApi};

use super::common::{Caller, Documented, ErrorBody, JsonBytes, UnauthorizedBody};
use super::ApiTags;
use crate::presence::{self, PresenceError, PresenceRequest};
use crate::state::AppState;

/// A user's presence, as `users.presence` lists it. Fields the user lacks are omitted, never
/// `null`.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct PresenceUser {
    #[oai(rename = "_id")]
    pub id: String,
    pub username: Option<String>,
    pub name: Option<String>,
    /// `online`, `away`, `busy`, or `offline` (offline only in a partial answer or for `ids`).
    pub status: String,
    /// Hours from UTC, as the user's client reported it.
    pub utc_offset: Option<f64>,
    pub status_text: Option<String>,
    #[oai(rename = "avatarETag")]
    pub avatar_etag: Option<String>,
    /// `internal`, `manual` or `external` (Rocket.Chat 8.6+).
    pub status_source: Option<String>,
    /// ISO 8601 (Rocket.Chat 8.6+).
    pub status_expires_at: Option<String>,
}

/// The answer of `users.presence`.
#[derive(Debug, Clone, Object)]
pub struct PresenceBody {
    pub users: Vec<PresenceUser>,
    /// `true`: the complete list of users who are online, away or busy. `false`: only the users
    /// that changed since `from` (offline ones included), or the users asked for with `ids`.
    pub full: bool,
    pub success: bool,
}

#[derive(ApiResponse)]
pub enum PresenceResponse {
    /// The users' presence.
    #[oai(status = 200)]
    Ok(JsonBytes<PresenceBody>),
    /// An unknown or malformed query parameter.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// `X-Auth-Token` and `X-User-Id` missing, or not a token issued to that user.
    #[oai(status = 401)]
    Unauthorized(Json<UnauthorizedBody>),
}

fn from_example() -> String {
    "2019-05-22T12:11:45.392Z".to_owned()
}

pub struct PresenceApi;

#[OpenApi]
impl PresenceApi {
    /// Gets all connected users' presence
    ///
    /// Without `from`, every user who is online, away or busy, with `full: true`.
    ///
    /// With `from`, only the users whose presence or profile changed at or after that instant
    /// (offline ones included, so a client learns who went offline; the caller left out), with
    /// `full: false`. **If `from` is 10 minutes old or older by the server's clock, the answer
    /// is the full list with `full: true`** (exactly 10 minutes already counts as older). A
    /// `from` in the future gives a partial, usually empty, list. An empty or unparseable `from`
    /// is not an error: the full list.
    ///
    /// With `ids`, the listed users that are not offline (and offline ones that have a status
    /// text or expiry), `full: false`; `ids` wins over `from`; unknown ids are left out.
    ///
    /// When the `Presence_broadcast_disabled` setting is on, every call answers
    /// `{"users":[],"full":true,"success":true}`.
    ///
    /// The order of `users` is unspecified. Unknown query parameters are refused (400), as
    /// Rocket.Chat 8.4+ does.
    ///
    /// This describes the default release, 8.6. Started with `--rocketchat-version`, the server
    /// behaves as that release: before 8.6 no `statusSource`/`statusExpiresAt` and `ids` lists
    /// only users not offline; before 8.4 no validation (unknown parameters are ignored); 8.4
    /// answers `ids=a,b` with no users; before 6.x `Presence_broadcast_disabled` does nothing.
    #[oai(
        path = "/api/v1/users.presence",
        method = "get",
        operation_id = "get-api-v1-users.presence",
        tag = "ApiTags::Users"
    )]
    async fn users_presence(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        req: &Request,
        /// The last date you got a status change. ISO 8601 datetime; timezone (`Z`, `±hh:mm`),
        /// milliseconds and seconds are optional; without a timezone it is UTC.
        #[oai(name = "from", example = "from_example")]
        _from: Documented<String>,
        /// User ids: one, comma-separated (`ids=rocket.cat,rocketchat.internal.admin.test`) or
        /// repeated (`ids=a&ids=b`). Wins over `from`.
        #[oai(name = "ids")]
        _ids: Documented<Vec<String>>,
    ) -> PresenceResponse {
        let line = state.line();
        let request = match PresenceRequest::parse(req.uri().query().unwrap_or_default(), line) {
            Ok(request) => request,
            Err(PresenceError::Params(e)) => {
                return PresenceResponse::BadRequest(Json(ErrorBody::invalid_params(e)))
            }
            Err(PresenceError::IdsNotSplittable) => {
                return PresenceResponse::BadRequest(Json(ErrorBody::new(
                    "ids.split is not a function",
                )))
            }
        };
        let broadcast_disabled = state.settings.read().presence_broadcast_disabled;
        let now = state.clock.now();
        let store = state.store.read();
        let answer = presence::answer(&store, caller.idx, &request, now, broadcast_disabled, line);
        PresenceResponse::Ok(JsonBytes::new(answer.body))
    }
}

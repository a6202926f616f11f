/*!
`GET /api/v1/directory`: reads the request, asks [`crate::directory`] for the answer, and
documents the parameters, the answer and the errors in the OpenAPI document.
*/

use std::sync::Arc;

use poem::{web::Data, Request};
use poem_openapi::{payload::Json, ApiResponse, Object, OpenApi, Union};
use serde_json::Value;

use super::common::{Caller, Documented, ErrorBody, JsonBytes, UnauthorizedBody};
use super::ApiTags;
use crate::directory::{self, DirectoryError};
use crate::state::AppState;

/// An e-mail address of a user.
#[derive(Debug, Clone, Object)]
pub struct DirectoryEmail {
    pub address: String,
    pub verified: bool,
}

/// A user found by `type=users`. Fields the user lacks are omitted; `fields` may remove more.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct DirectoryUser {
    #[oai(rename = "_id")]
    pub id: String,
    /// Always there (users without one are not listed), unless `fields` leaves it out. Rooms
    /// have none, which is how a client tells a user item from a room item.
    pub username: String,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub bio: Option<String>,
    /// ISO 8601.
    pub created_at: Option<String>,
    /// Only for callers allowed to see other users' full information (admins).
    pub emails: Option<Vec<DirectoryEmail>>,
    /// Present on federated users (listed only with `workspace=all` and federation on).
    pub federation: Option<Value>,
    #[oai(rename = "avatarETag")]
    pub avatar_etag: Option<String>,
}

/// A channel (`type=channels`) or a team's main room (`type=teams`). Fields the room lacks are
/// omitted; `fields` may remove more.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct DirectoryRoom {
    #[oai(rename = "_id")]
    pub id: String,
    /// `c` (public) or `p` (private).
    pub t: Option<String>,
    pub name: Option<String>,
    pub fname: Option<String>,
    pub description: Option<String>,
    pub topic: Option<String>,
    /// The last message; its `ts` is ISO 8601.
    pub last_message: Option<Value>,
    /// Creation time, ISO 8601.
    pub ts: Option<String>,
    pub archived: Option<bool>,
    pub default: Option<bool>,
    pub featured: Option<bool>,
    pub users_count: Option<u64>,
    pub prid: Option<String>,
    pub team_id: Option<String>,
    /// Channels only.
    pub federated: Option<bool>,
    /// Channels of a team: the team's name.
    pub belongs_to: Option<String>,
    /// Teams only: always `true`.
    pub team_main: Option<bool>,
    /// Teams only: how many rooms carry the team's id, its main room included.
    pub rooms_count: Option<u64>,
}

#[derive(Debug, Clone, Union)]
pub enum DirectoryItem {
    User(DirectoryUser),
    Room(DirectoryRoom),
}

/// The answer of `directory`.
#[derive(Debug, Clone, Object)]
pub struct DirectoryBody {
    /// One page of matches, in the requested order.
    pub result: Vec<DirectoryItem>,
    /// How many items `result` holds.
    pub count: u64,
    /// The `offset` asked for, as parsed (a negative one is echoed but skips nothing).
    pub offset: f64,
    /// How many items match, regardless of paging.
    pub total: u64,
    pub success: bool,
}

#[derive(ApiResponse)]
pub enum DirectoryResponse {
    /// One page of users, channels or teams.
    #[oai(status = 200)]
    Ok(JsonBytes<DirectoryBody>),
    /// An unknown, repeated or malformed parameter, an unknown `type`, a sort key not allowed for
    /// the type, or a caller not allowed to search that type.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// `X-Auth-Token` and `X-User-Id` missing, or not a token issued to that user.
    #[oai(status = 401)]
    Unauthorized(Json<UnauthorizedBody>),
}

impl From<DirectoryError> for ErrorBody {
    fn from(e: DirectoryError) -> Self {
        ErrorBody {
            success: false,
            error: e.message(),
            error_type: e.error_type().map(str::to_owned),
            details: e.details(),
        }
    }
}

fn query_example() -> String {
    r#"{"text": "rocket", "type": "users", "workspace": "local"}"#.to_owned()
}

pub struct DirectoryApi;

#[OpenApi]
impl DirectoryApi {
    /// Searches users, channels or teams
    ///
    /// Searches by users or channels (or teams) on all users and channels available on the
    /// server, with the pagination parameters (`count`, `offset`, `sort`) and the query-and-fields
    /// parameters (`query`, `fields`).
    ///
    /// **Search criteria.** Either in `query`, a JSON object
    /// `{"text": ..., "type": ..., "workspace": ...}` (the documented form), or as top-level
    /// `text`, `type` and `workspace` (Rocket.Chat 7+); a non-empty top-level value wins.
    /// `type` is `channels` (the default), `users` or `teams`. `text` is trimmed and matched
    /// case-insensitively as a literal substring (no regex) of: users' `username`, `name`,
    /// `bio`, `nickname` (setting `Accounts_SearchFields`); rooms' `name` or `fname`. Empty text
    /// lists everything. `workspace` (users only) is `local` (default: federated users never
    /// listed) or `all`, which adds federated users and searches `username`, `name` and e-mail
    /// addresses **only if federation is enabled** (otherwise it answers as `local`).
    ///
    /// **Who sees what.** Users: active users with a username (the caller and bots included);
    /// `emails` only for admins; guests may not search users. Channels: public channels, channels
    /// of public teams and of the caller's teams, and any room the caller is in, private groups
    /// included; never discussions, team main rooms or direct messages; a team's channel carries
    /// `belongsTo`. Teams: public teams and private teams the caller is in, with `roomsCount`.
    ///
    /// **Pages.** `count` defaults to `API_Default_Count` (50) and is capped at
    /// `API_Upper_Count_Limit` (100); 0 or negative gives 10. `offset` skips matches (negative
    /// skips none but is echoed). `total` counts every match; paging through yields each match
    /// once.
    ///
    /// **Order.** `sort` is a JSON object with one key and the value 1 or -1. Keys: users `name`,
    /// `username`, `createdAt`, `usersCount`, `email`, `bio`; channels and teams `name`,
    /// `createdAt`, `usersCount`, `usernames`, `lastMessage`. Without `sort` (or with `{}`):
    /// `name` descending. Channels and teams always list featured rooms first. Strings compare
    /// by bytes (uppercase before lowercase), missing values come first ascending, and ties go
    /// to `_id` in the same direction.
    ///
    /// **Errors** (400): unknown parameter "must NOT have additional properties"; repeated or
    /// non-numeric `count`/`offset` "must be number"; repeated string parameters "must be
    /// string" (all with `errorType: error-invalid-params`); bad `sort` JSON or values
    /// `error-invalid-sort`; several sort keys "This method support only one \"sort\" parameter";
    /// bad `fields` `error-invalid-fields`; bad `query` `error-invalid-query`; unknown `type`,
    /// disallowed sort key or a caller without permission "Please verify the parameters".
    #[oai(
        path = "/api/v1/directory",
        method = "get",
        operation_id = "get-api-v1-directory",
        tag = "ApiTags::Directory"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn directory(
        &self,
        state: Data<&Arc<AppState>>,
        caller: Caller,
        req: &Request,
        /// The search criteria as a JSON object: `text`, `type` (`channels`, `users` or `teams`)
        /// and `workspace` (`local` or `all`; users only; `all` needs federation enabled).
        #[oai(name = "query", example = "query_example")]
        _query: Documented<String>,
        /// Text to look for (trimmed; a case-insensitive literal substring), e.g. `gene`. Wins
        /// over `query.text` when not empty.
        #[oai(name = "text")]
        _text: Documented<String>,
        /// `channels` (default), `users` or `teams`. Wins over `query.type` when not empty.
        #[oai(name = "type")]
        _type: Documented<String>,
        /// `local` (default) or `all` (users only; federated users too, when federation is
        /// enabled). Wins over `query.workspace` when not empty.
        #[oai(name = "workspace")]
        _workspace: Documented<String>,
        /// Page size: default 50, at most 100; 0 or negative gives 10 (the seed's example: 1). A
        /// number, read as JavaScript's `parseInt` reads it (`2.9` is 2, `1e2` is 100).
        #[oai(name = "count")]
        _count: Documented<f64>,
        /// Matches to skip; echoed in the answer (the seed's example: 2). A number, read as
        /// JavaScript's `parseInt` reads it; beyond the matches the page is empty.
        #[oai(name = "offset")]
        _offset: Documented<f64>,
        /// A JSON object with one key and the value 1 (ascending) or -1 (descending), e.g.
        /// `{"name": 1}`.
        #[oai(name = "sort")]
        _sort: Documented<String>,
        /// A JSON projection: `{"name": 1, ...}` keeps only those fields, `{"bio": 0, ...}`
        /// drops them (not both); `_id` is always kept; dotted paths reach inside.
        #[oai(name = "fields")]
        _fields: Documented<String>,
    ) -> DirectoryResponse {
        let query = req.uri().query().unwrap_or_default();
        let line = state.line();
        let settings = state.settings.read();
        let store = state.store.read();
        match directory::answer(&store, &settings, caller.idx, query, line) {
            Ok(body) => DirectoryResponse::Ok(JsonBytes::new(body)),
            Err(e) => DirectoryResponse::BadRequest(Json(ErrorBody::from(e).for_line(line))),
        }
    }
}

/// The example answers of Rocket.Chat's documentation page for `directory`, as this server sends them
/// (docs/contract/directory.md#directory.envelope).
pub fn seed_examples() -> Value {
    serde_json::json!({
        "users": {
            "summary": "query={\"text\": \"rocket\", \"type\": \"users\", \"workspace\": \"local\"} (seed example)",
            "value": {
                "result": [{
                    "_id": "jRca8kibJx8NkLJxt",
                    "createdAt": "2018-04-13T12:46:26.517Z",
                    "emails": [{"address": "user.test.1523623548558@rocket.chat", "verified": false}],
                    "name": "EditedRealNameuser.test.1523623548558",
                    "username": "editedusernameuser.test.1523623548558",
                    "avatarETag": "6YbLtc4v9b4conXon"
                }],
                "count": 1, "offset": 0, "total": 1, "success": true
            }
        },
        "channels": {
            "summary": "query={\"text\": \"gene\", \"type\": \"channels\"}&count=1&offset=2 (the documentation page's example, with the `t` this server sends and without the `usernames` Rocket.Chat no longer returns: docs/contract/directory.md#directory.channels.types)",
            "value": {
                "result": [{
                    "_id": "GENERAL",
                    "t": "c",
                    "ts": "2018-05-15T19:10:54.689Z",
                    "name": "general"
                }],
                "count": 1, "offset": 2, "total": 4, "success": true
            }
        }
    })
}

/// One example per kind of 400 answer.
pub fn error_examples() -> Value {
    let example = |summary: &str, e: DirectoryError| {
        let body = ErrorBody::from(e);
        let mut value = serde_json::json!({"success": false, "error": body.error});
        if let Some(t) = body.error_type {
            value["errorType"] = t.into();
        }
        if let Some(d) = body.details {
            value["details"] = d;
        }
        serde_json::json!({"summary": summary, "value": value})
    };
    use crate::query_string::InvalidParams;
    serde_json::json!({
        "unknown-parameter": example("An unknown parameter (e.g. page=1)", DirectoryError::Params(InvalidParams("must NOT have additional properties".into()))),
        "not-a-number": example("count=abc", DirectoryError::Params(InvalidParams("must be number".into()))),
        "invalid-sort": example("sort={name:1} (not JSON) or a value other than 1 and -1", DirectoryError::InvalidSort("{name:1}".into())),
        "two-sort-keys": example("sort={\"name\":1,\"createdAt\":-1}", DirectoryError::OnlyOneSort),
        "verify-parameters": example("type=invalid, a sort key not allowed for the type, or no permission", DirectoryError::VerifyParameters),
    })
}

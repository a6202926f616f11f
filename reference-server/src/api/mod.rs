/*!
The HTTP layer: the OpenAPI service, its document, Swagger UI, the error envelope for
everything poem itself refuses (unknown paths, wrong methods, bodies that are not JSON), and the
headers as Rocket.Chat sends them (`Content-Type: application/json` exactly, `Allow` on a 405).

Handlers are thin: they read the request, call the rules ([`crate::presence`],
[`crate::accounts`]) under the store's lock, and write the answer.

The document poem-openapi generates is adjusted in one place, [`document`]: both auth headers
are put into one security requirement (OpenAPI reads two objects as "either"), and the seed
documents' examples are attached to the answers.
*/

pub mod auth;
pub mod common;
pub mod companion;
pub mod companion_schemas;
pub mod control;
pub mod directory;
pub mod info;
pub mod presence;

use std::collections::HashMap;
use std::sync::Arc;

use poem::{
    endpoint::make_sync,
    http::{
        header::{ALLOW, CONTENT_TYPE},
        HeaderValue, StatusCode,
    },
    middleware::SetHeader,
    web::Html,
    Endpoint, EndpointExt, IntoResponse, Route,
};
use poem_openapi::{OpenApiService, Tags};
use serde_json::{json, Value};

use crate::state::AppState;
use common::{json_response, ErrorBody, AUTH_TOKEN_SCHEME, USER_ID_SCHEME};

#[derive(Tags)]
pub enum ApiTags {
    /// Users' presence (Rocket.Chat REST API).
    Users,
    /// Search users, channels and teams (Rocket.Chat REST API).
    Directory,
    /// Log in to get the `X-Auth-Token` and `X-User-Id` every other call needs.
    Authentication,
    /// Companion API: create, change and delete users (most need an admin).
    UserManagement,
    /// Companion API: create and delete channels and private groups, invite users.
    Rooms,
    /// Companion API: create and delete teams, move rooms into them.
    Teams,
    /// Server information.
    Miscellaneous,
    /// Not part of Rocket.Chat: controls the reference server's clock, settings and data for
    /// tests. Answers 404 unless the server was started with `--test-control`. With test
    /// control any request may also carry `X-Test-Clock` (milliseconds since the epoch): that
    /// request alone sees that instant as now, and the server's clock does not move.
    TestControl,
}

type Apis = (
    auth::AuthApi,
    presence::PresenceApi,
    directory::DirectoryApi,
    companion::CompanionApi,
    companion::AdminApi,
    info::InfoApi,
    control::ControlApi,
);

fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            auth::AuthApi,
            presence::PresenceApi,
            directory::DirectoryApi,
            companion::CompanionApi,
            companion::AdminApi,
            info::InfoApi,
            control::ControlApi,
        ),
        "Rocket.Chat users.presence and directory: reference server",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
}

const DESCRIPTION: &str = "A reference implementation of Rocket.Chat's `GET /api/v1/users.presence` \
and `GET /api/v1/directory`, following Rocket.Chat's documentation and, where it is silent, \
Rocket.Chat 8.6+.\n\nEvery endpoint except `login` and `/api/info` needs **both** headers \
`X-Auth-Token` and `X-User-Id` (\"Authorize\" takes both). Log in with `POST /api/v1/login`, \
e.g. `{\"user\": \"rocketchat.internal.admin.test\", \"password\": \"rocketchat.internal.admin.test\"}` \
with the default fixtures.\n\nErrors use Rocket.Chat's envelope: `{\"success\": false, \"error\": ...}`.";

/// The OpenAPI document, as served at `/openapi.json` and committed as `openapi/openapi.json`.
pub fn document() -> String {
    let generated = service().spec();
    let mut doc: Value = serde_json::from_str(&generated).expect("poem-openapi writes JSON");
    require_both_auth_headers(&mut doc);
    open_operations_need_no_credentials(&mut doc);
    describe_the_server(&mut doc);
    normalise_json_media_types(&mut doc);
    companion_schemas::attach(&mut doc);
    say_json_in_strings(&mut doc);
    attach_seed_examples(&mut doc);
    let mut text = serde_json::to_string_pretty(&doc).expect("a JSON value serialises");
    text.push('\n');
    text
}

/// Every operation object of the document, to adjust.
fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut serde_json::Map<String, Value>> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
}

/// Marks the parameters that carry a JSON object in a string (`directory`'s `query`, `sort` and
/// `fields`) with a pattern, so generators and fuzzers see more than "a string".
fn say_json_in_strings(doc: &mut Value) {
    for operation in operations_mut(doc) {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters {
            let name = parameter["name"].as_str().unwrap_or_default();
            if matches!(name, "query" | "sort" | "fields") && parameter["in"] == "query" {
                parameter["schema"]["pattern"] = json!(r"^\s*\{[\s\S]*\}\s*$");
                parameter["schema"]["description"] = json!("A JSON object, as text.");
            }
        }
    }
}

/// Says `security: []` on the operations that need no credentials (`/api/info`, login, test
/// control), so that linters and generators do not read them as undecided.
fn open_operations_need_no_credentials(doc: &mut Value) {
    for operation in operations_mut(doc) {
        operation.entry("security").or_insert_with(|| json!([]));
    }
}

/// Where the server is (relative: the document is served by the server it describes, on any
/// port) and under which licence the project is published.
fn describe_the_server(doc: &mut Value) {
    doc["servers"] = json!([{
        "url": "/",
        "description": "The reference server that serves this document (by default http://127.0.0.1:3000)"
    }]);
    doc["info"]["license"] = json!({"name": "MIT", "url": "https://opensource.org/licenses/MIT"});
}

/// Rewrites `security: [{AuthToken: []}, {UserId: []}]` (either) into
/// `security: [{AuthToken: [], UserId: []}]` (both).
fn require_both_auth_headers(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|p| p.values_mut())
    {
        let Some(security) = operation.get_mut("security").and_then(Value::as_array_mut) else {
            continue;
        };
        let names: Vec<&str> = security
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys().map(String::as_str))
            .collect();
        if names.contains(&AUTH_TOKEN_SCHEME) && names.contains(&USER_ID_SCHEME) {
            *security = vec![json!({ AUTH_TOKEN_SCHEME: [], USER_ID_SCHEME: [] })];
        }
    }
}

/// Names every JSON body `application/json`, as Rocket.Chat's documents do, whether the
/// payload type says `application/json; charset=utf-8` or not.
fn normalise_json_media_types(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(media) = map.remove("application/json; charset=utf-8") {
                map.insert("application/json".into(), media);
            }
            map.values_mut().for_each(normalise_json_media_types);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise_json_media_types),
        _ => {}
    }
}

/// The example answers of Rocket.Chat's documentation page for `users.presence`, verbatim
/// (docs/contract/users.presence.md#presence.envelope).
fn seed_presence_examples() -> Value {
    let users = json!([
        {"_id": "rocket.cat", "name": "Rocket.Cat", "username": "rocket.cat", "status": "online", "utcOffset": 0, "avatarETag": "5BB9B5ny5DkKdrwkq"},
        {"_id": "rocketchat.internal.admin.test", "name": "RocketChat Internal Admin Test", "username": "rocketchat.internal.admin.test", "status": "online", "utcOffset": -2, "avatarETag": "iEbEm4bTT327NJjXt"}
    ]);
    json!({
        "full": {
            "summary": "All users' presence (no from)",
            "value": {"users": users, "full": true, "success": true}
        },
        "partial": {
            "summary": "Changes since from (from less than 10 minutes old)",
            "value": {"users": users, "full": false, "success": true}
        }
    })
}

fn attach_seed_examples(doc: &mut Value) {
    let content = "/paths/~1api~1v1~1users.presence/get/responses/200/content/application~1json";
    if let Some(media) = doc.pointer_mut(content).and_then(Value::as_object_mut) {
        media.insert("examples".into(), seed_presence_examples());
    }
    let directory = "/paths/~1api~1v1~1directory/get/responses";
    if let Some(media) = doc
        .pointer_mut(&format!("{directory}/200/content/application~1json"))
        .and_then(Value::as_object_mut)
    {
        media.insert("examples".into(), directory::seed_examples());
    }
    if let Some(media) = doc
        .pointer_mut(&format!("{directory}/400/content/application~1json"))
        .and_then(Value::as_object_mut)
    {
        media.insert("examples".into(), directory::error_examples());
    }
    let unauthorized = json!({"success": false, "error": common::NOT_LOGGED_IN, "status": "error", "message": common::NOT_LOGGED_IN});
    let invalid = json!({"success": false, "errorType": "error-invalid-params", "error": "must NOT have additional properties"});
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|p| p.values_mut())
        {
            let path_401 = "/responses/401/content/application~1json";
            if let Some(media) = operation
                .pointer_mut(path_401)
                .and_then(Value::as_object_mut)
            {
                media.insert("example".into(), unauthorized.clone());
            }
            let is_presence =
                operation.get("operationId") == Some(&json!("get-api-v1-users.presence"));
            let path_400 = "/responses/400/content/application~1json";
            if let (true, Some(media)) = (
                is_presence,
                operation
                    .pointer_mut(path_400)
                    .and_then(Value::as_object_mut),
            ) {
                media.insert("example".into(), invalid.clone());
            }
        }
    }
}

/// Swagger UI's page, showing [`document`], with everything it needs compiled in (no CDN).
pub fn swagger_ui_html() -> String {
    let api = service();
    api.swagger_ui_html().replacen(&api.spec(), &document(), 1)
}

/// Turns an error poem raised itself (no route, wrong method, unreadable body) into Rocket.Chat's
/// envelope; errors that already carry a response (such as the 401) pass unchanged.
async fn envelope(err: poem::Error) -> poem::Response {
    if err.is_from_response() {
        return err.into_response();
    }
    if let Some(parse) = err.downcast_ref::<poem_openapi::error::ParseRequestPayloadError>() {
        let message = if parse.reason.contains("unknown field") {
            "must NOT have additional properties".to_owned()
        } else {
            parse.reason.clone()
        };
        return json_response(
            StatusCode::BAD_REQUEST,
            &ErrorBody::typed(message, "error-invalid-params"),
        );
    }
    let status = err.status();
    let message = match status {
        StatusCode::NOT_FOUND => "Not found: no such endpoint".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed for this endpoint".to_owned(),
        _ => err.to_string(),
    };
    json_response(status, &ErrorBody::new(message))
}

/// The whole server: the API, `/openapi.json`, Swagger UI at `/docs`.
pub fn app(state: Arc<AppState>) -> impl Endpoint<Output = poem::Response> {
    let document = document();
    let allowed = Arc::new(allowed_methods(&document));
    let ui = swagger_ui_html();
    let test_control = state.test_control;
    Route::new()
        .nest("/", service())
        .at(
            "/openapi.json",
            make_sync(move |_| {
                poem::Response::builder()
                    .content_type("application/json")
                    .body(document.clone())
            }),
        )
        .at("/docs", make_sync(move |_| Html(ui.clone())))
        .data(state)
        // Inside the layers below, so that its refusal gets their headers too.
        .around(move |endpoint, req| async move {
            let request_clock = match req.headers().get(control::REQUEST_CLOCK_HEADER) {
                Some(value) if test_control => match control::request_clock(value.as_bytes()) {
                    Ok(now) => Some(now),
                    Err(refused) => return Ok(json_response(StatusCode::BAD_REQUEST, &refused)),
                },
                _ => None,
            };
            match request_clock {
                Some(now) => {
                    let response = crate::time::with_request_clock(now, endpoint.call(req)).await;
                    response.map(IntoResponse::into_response)
                }
                None => endpoint.call(req).await.map(IntoResponse::into_response),
            }
        })
        .with(SetHeader::new().overriding("Cache-Control", "no-store"))
        .catch_all_error(envelope)
        .around(move |endpoint, req| {
            let allowed = allowed.clone();
            async move {
                let path = req.uri().path().to_owned();
                let mut response = endpoint.call(req).await?;
                as_rocket_chat_sends_it(&mut response, allowed.get(&path));
                Ok(response)
            }
        })
}

/// The methods each path of the document answers, as an `Allow` header value.
fn allowed_methods(document: &str) -> HashMap<String, String> {
    let doc: Value = serde_json::from_str(document).expect("the document is JSON");
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return HashMap::new();
    };
    paths
        .iter()
        .map(|(path, operations)| {
            let methods: Vec<String> = operations
                .as_object()
                .into_iter()
                .flat_map(|o| o.keys())
                .map(|m| m.to_ascii_uppercase())
                .collect();
            (path.clone(), methods.join(", "))
        })
        .collect()
}

/// Headers as Rocket.Chat sends them: JSON as exactly `application/json` (poem's `Json` adds
/// `; charset=utf-8`, which Rocket.Chat's own tests refuse), and `Allow` on every 405.
fn as_rocket_chat_sends_it(response: &mut poem::Response, allowed: Option<&String>) {
    let headers = response.headers_mut();
    let charset_json = headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json;"));
    if charset_json {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        if let Some(value) = allowed.and_then(|a| HeaderValue::from_str(a).ok()) {
            response.headers_mut().insert(ALLOW, value);
        }
    }
}

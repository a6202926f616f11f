/*!
The companion API's answers and bodies, described precisely in the document.

Its handlers build their answers as JSON values (the shapes Rocket.Chat answers, some with keys
that depend on the request), so poem-openapi can only say "any object". This module writes what
each operation answers, which request-body properties the server requires (as it enforces
them; bodies that take either of two names say so in their description), and the 415 every
body operation may give. `tests/generated_client.rs` holds the schemas to real answers through
a generated client.
*/

use serde_json::{json, Map, Value};

/// `{"$ref": "#/components/schemas/<name>"}`.
fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// An object with `properties`, the `required` ones and `success: true`.
fn answer(properties: Value, required: &[&str]) -> Value {
    let mut properties = properties;
    properties["success"] = json!({"type": "boolean", "enum": [true]});
    let mut required: Vec<&str> = required.to_vec();
    required.push("success");
    json!({"type": "object", "properties": properties, "required": required})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn date() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// The schemas the answers share.
fn components() -> Map<String, Value> {
    let email = json!({
        "type": "object",
        "properties": {"address": string(), "verified": {"type": "boolean"}},
        "required": ["address", "verified"]
    });
    let stub = json!({
        "type": "object",
        "description": "A user named in a room or team: its `_id` and `username` (null when it has none).",
        "properties": {"_id": string(), "username": {"type": "string", "nullable": true}},
        "required": ["_id"]
    });
    let user = json!({
        "type": "object",
        "description": "A user as `users.create` and `users.update` answer it.",
        "properties": {
            "_id": string(),
            "type": {"type": "string", "enum": ["user", "bot", "app"]},
            "status": {"type": "string", "enum": ["online", "away", "busy", "offline"]},
            "active": {"type": "boolean"},
            "roles": {"type": "array", "items": string()},
            "emails": {"type": "array", "items": schema_ref("CompanionEmail")},
            "createdAt": date(),
            "_updatedAt": date(),
            "username": string(),
            "name": string(),
            "bio": string(),
            "nickname": string(),
            "statusText": string()
        },
        "required": ["_id", "type", "status", "active", "roles", "emails", "createdAt", "_updatedAt"]
    });
    let room = json!({
        "type": "object",
        "description": "A room as `channels.create`, `groups.create`, `channels.invite` and `teams.addRooms` answer it.",
        "properties": {
            "_id": string(),
            "t": {"type": "string", "enum": ["c", "p", "d"]},
            "name": string(),
            "fname": string(),
            "msgs": {"type": "integer"},
            "usersCount": {"type": "integer"},
            "ts": date(),
            "ro": {"type": "boolean"},
            "sysMes": {"type": "boolean"},
            "default": {"type": "boolean"},
            "_updatedAt": date(),
            "u": schema_ref("CompanionUserStub"),
            "teamId": string(),
            "teamMain": {"type": "boolean"}
        },
        "required": ["_id", "t", "name", "msgs", "usersCount", "ts", "ro", "sysMes", "default", "_updatedAt"]
    });
    let team = json!({
        "type": "object",
        "description": "A team as `teams.create` answers it.",
        "properties": {
            "_id": string(),
            "name": string(),
            "type": {"type": "integer", "enum": [0, 1], "description": "0 public, 1 private."},
            "roomId": string(),
            "createdAt": date(),
            "_updatedAt": date(),
            "createdBy": schema_ref("CompanionUserStub")
        },
        "required": ["_id", "name", "type", "roomId", "createdAt", "_updatedAt"]
    });
    let me = answer(
        json!({
            "_id": string(),
            "username": string(),
            "name": string(),
            "status": {"type": "string", "enum": ["online", "away", "busy", "offline"]},
            "statusConnection": string(),
            "statusText": string(),
            "active": {"type": "boolean"},
            "roles": {"type": "array", "items": string()},
            "emails": {"type": "array", "items": schema_ref("CompanionEmail")},
            "email": {"type": "string", "description": "The first verified address."},
            "settings": {
                "type": "object",
                "properties": {"profile": {"type": "object"}, "preferences": {"type": "object"}},
                "required": ["profile", "preferences"]
            },
            "isOAuthUser": {"type": "boolean"},
            "utcOffset": {"type": "number"},
            "avatarETag": string(),
            "avatarUrl": string(),
            "bio": string(),
            "nickname": string(),
            "createdAt": date(),
            "_updatedAt": date()
        }),
        &[
            "_id",
            "status",
            "active",
            "roles",
            "emails",
            "settings",
            "isOAuthUser",
        ],
    );
    let mut out = Map::new();
    for (name, schema) in [
        ("CompanionEmail", email),
        ("CompanionUserStub", stub),
        ("CompanionUser", user),
        ("CompanionRoom", room),
        ("CompanionTeam", team),
        ("Me", me),
    ] {
        out.insert(name.to_owned(), schema);
    }
    out
}

/// The 200 answer of each companion operation, by operationId.
fn answers() -> Vec<(&'static str, Value)> {
    let done = || answer(json!({}), &[]);
    let status = json!({"type": "string", "enum": ["online", "away", "busy", "offline"]});
    vec![
        ("get-api-v1-me", schema_ref("Me")),
        (
            "post-api-v1-users.create",
            answer(json!({"user": schema_ref("CompanionUser")}), &["user"]),
        ),
        (
            "post-api-v1-users.update",
            answer(json!({"user": schema_ref("CompanionUser")}), &["user"]),
        ),
        (
            "post-api-v1-users.delete",
            answer(
                json!({"deletedRooms": {"type": "array", "items": string(), "description": "The `_id`s of the rooms removed with the user (`confirmRelinquish`)."}}),
                &["deletedRooms"],
            ),
        ),
        (
            "post-api-v1-users.setActiveStatus",
            answer(
                json!({"user": {"type": "object", "properties": {"_id": string(), "active": {"type": "boolean"}}, "required": ["_id", "active"]}}),
                &["user"],
            ),
        ),
        ("post-api-v1-users.setStatus", done()),
        (
            "get-api-v1-users.getStatus",
            answer(
                json!({
                    "_id": string(),
                    "status": status,
                    "message": {"type": "string", "description": "The caller's own status text; not sent for another user."},
                    "connectionStatus": string(),
                    "statusSource": string(),
                    "statusExpiresAt": date()
                }),
                &["_id", "status", "connectionStatus"],
            ),
        ),
        (
            "get-api-v1-users.getPresence",
            answer(
                json!({"presence": status, "connectionStatus": {"type": "string", "description": "Only for the caller's own presence."}}),
                &["presence"],
            ),
        ),
        (
            "post-api-v1-channels.create",
            answer(
                json!({"channel": schema_ref("CompanionRoom")}),
                &["channel"],
            ),
        ),
        (
            "post-api-v1-channels.invite",
            answer(
                json!({"channel": schema_ref("CompanionRoom")}),
                &["channel"],
            ),
        ),
        (
            "post-api-v1-groups.create",
            answer(json!({"group": schema_ref("CompanionRoom")}), &["group"]),
        ),
        ("post-api-v1-channels.delete", done()),
        ("post-api-v1-groups.delete", done()),
        (
            "post-api-v1-teams.create",
            answer(json!({"team": schema_ref("CompanionTeam")}), &["team"]),
        ),
        ("post-api-v1-teams.delete", done()),
        (
            "post-api-v1-teams.addRooms",
            answer(
                json!({"rooms": {"type": "array", "items": schema_ref("CompanionRoom")}}),
                &["rooms"],
            ),
        ),
        (
            "post-api-v1-permissions.update",
            answer(
                json!({"permissions": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"_id": string(), "roles": {"type": "array", "items": string()}},
                    "required": ["_id", "roles"]
                }}}),
                &["permissions"],
            ),
        ),
        ("post-api-v1-settings-id", done()),
    ]
}

/// The properties each request body must have, as the server enforces them: each inner list is
/// one way to satisfy it.
fn required_in_bodies() -> Vec<(&'static str, Vec<Vec<&'static str>>)> {
    vec![
        (
            "UsersCreateBody",
            vec![vec!["email", "name", "password", "username"]],
        ),
        ("UsersUpdateBody", vec![vec!["userId", "data"]]),
        ("UserRefBody", vec![vec!["userId"], vec!["username"]]),
        ("SetActiveStatusBody", vec![vec!["userId", "activeStatus"]]),
        ("SetStatusBody", vec![vec!["status"], vec!["message"]]),
        ("RoomCreateBody", vec![vec!["name"]]),
        ("RoomRefBody", vec![vec!["roomId"], vec!["roomName"]]),
        (
            "InviteBody",
            vec![
                vec!["roomId", "userId"],
                vec!["roomId", "userIds"],
                vec!["roomName", "userId"],
                vec!["roomName", "userIds"],
            ],
        ),
        ("TeamCreateBody", vec![vec!["name", "type"]]),
        ("TeamDeleteBody", vec![vec!["teamId"], vec!["teamName"]]),
        (
            "TeamAddRoomsBody",
            vec![vec!["teamId", "rooms"], vec!["teamName", "rooms"]],
        ),
        ("SetClock", vec![vec!["now"], vec!["nowMs"]]),
    ]
}

/// Writes the companion answers' schemas, the bodies' required properties and the 415 answers
/// into the document.
pub fn attach(doc: &mut Value) {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.extend(components());
        for (name, ways) in required_in_bodies() {
            let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) else {
                continue;
            };
            match ways.as_slice() {
                [one] => {
                    schema.insert("required".into(), json!(one));
                }
                // Alternatives are said in words: an `anyOf` of `required` lists is exact, but
                // generators then give up on the body's type (openapi-python-client makes it
                // `Any`), so the properties stay typed and optional.
                several => {
                    let ways: Vec<String> = several
                        .iter()
                        .map(|w| {
                            let names: Vec<String> = w.iter().map(|n| format!("`{n}`")).collect();
                            names.join(" and ")
                        })
                        .collect();
                    let said = schema
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let required = format!("Required: {}.", ways.join(", or "));
                    let text = if said.is_empty() {
                        required
                    } else {
                        format!("{said} {required}")
                    };
                    schema.insert("description".into(), Value::String(text));
                }
            }
        }
    }
    let answers = answers();
    for operation in super::operations_mut(doc) {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Some((_, schema)) = answers.iter().find(|(op, _)| *op == id) {
            if let Some(media) = operation
                .get_mut("responses")
                .and_then(|r| r.pointer_mut("/200/content/application~1json"))
            {
                media["schema"] = schema.clone();
            }
        }
        if operation.contains_key("requestBody") {
            if let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            {
                responses.entry("415").or_insert_with(|| {
                    json!({
                        "description": "The body is not sent as `application/json`.",
                        "content": {"application/json": {"schema": schema_ref("ErrorBody")}}
                    })
                });
            }
        }
    }
}

/*!
The shape of a JSON answer (its keys and JSON types, arrays summarised by the union of their
items' shapes) and the seed documents' example answers. Checks compare a target's fields with
the types of the seed examples, and the snapshot tests commit these shapes, so a change of the
contract's shape shows up in review.
*/

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// The JSON type name of a value: `string`, `number`, `boolean`, `null`, `array`, `object`.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The shape of a value: objects keep their keys (sorted) with the shapes of their values;
/// arrays become `[shape]` where `shape` merges every item (keys seen in any item, with
/// `a|b` where types differ); scalars become their type name.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, shape(v))).collect();
            json!(sorted)
        }
        Value::Array(items) => {
            let merged = items.iter().map(shape).reduce(merge);
            match merged {
                Some(s) => json!([s]),
                None => json!([]),
            }
        }
        other => Value::String(type_name(other).to_owned()),
    }
}

fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut x), Value::Object(y)) => {
            for (k, v) in y {
                let merged = match x.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                x.insert(k, merged);
            }
            let sorted: BTreeMap<String, Value> = x.into_iter().collect();
            json!(sorted)
        }
        (Value::Array(x), Value::Array(y)) => {
            let inner = x.into_iter().chain(y).reduce(merge);
            match inner {
                Some(s) => json!([s]),
                None => json!([]),
            }
        }
        (a, b) if a == b => a,
        (a, b) => {
            let mut names: Vec<String> = [a, b]
                .iter()
                .flat_map(|v| match v {
                    Value::String(s) => s.split('|').map(str::to_owned).collect::<Vec<_>>(),
                    other => vec![type_name(other).to_owned()],
                })
                .collect();
            names.sort();
            names.dedup();
            Value::String(names.join("|"))
        }
    }
}

/// The documentation page's `users.presence` example result (both examples have
/// this shape; the second has `"full": false`).
pub fn presence_seed_example() -> Value {
    json!({
        "users": [
            {"_id": "rocket.cat", "name": "Rocket.Cat", "username": "rocket.cat", "status": "online", "utcOffset": 0, "avatarETag": "5BB9B5ny5DkKdrwkq"},
            {"_id": "rocketchat.internal.admin.test", "name": "RocketChat Internal Admin Test", "username": "rocketchat.internal.admin.test", "status": "online", "utcOffset": -2, "avatarETag": "iEbEm4bTT327NJjXt"}
        ],
        "full": true,
        "success": true
    })
}

/// The documentation page's first `directory` example result (users).
pub fn directory_users_seed_example() -> Value {
    json!({
        "result": [{
            "_id": "jRca8kibJx8NkLJxt",
            "createdAt": "2018-04-13T12:46:26.517Z",
            "emails": [{"address": "user.test.1523623548558@rocket.chat", "verified": false}],
            "name": "EditedRealNameuser.test.1523623548558",
            "username": "editedusernameuser.test.1523623548558",
            "avatarETag": "6YbLtc4v9b4conXon"
        }],
        "count": 1, "offset": 0, "total": 1, "success": true
    })
}

/// The seed's second `directory` example result (channels).
pub fn directory_channels_seed_example() -> Value {
    json!({
        "result": [{
            "_id": "GENERAL",
            "ts": "2018-05-15T19:10:54.689Z",
            "name": "general",
            "usernames": ["rocketchat.internal.admin.test", "editedusernameuser.test.1526941091574"]
        }],
        "count": 1, "offset": 2, "total": 4, "success": true
    })
}

/// The JSON type each known item field must have: the seed example's type where the seed shows
/// the field, Rocket.Chat's type otherwise (docs/contract/users.presence.md#presence.user.types,
/// docs/contract/directory.md#directory.users.types and #directory.channels.types).
pub fn item_field_types(
    seed_item_shape: &Value,
    extra: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = extra
        .iter()
        .map(|(k, t)| (k.to_string(), t.to_string()))
        .collect();
    if let Value::Object(map) = seed_item_shape {
        for (k, v) in map {
            let t = match v {
                Value::String(s) => s.clone(),
                Value::Array(_) => "array".to_owned(),
                Value::Object(_) => "object".to_owned(),
                other => type_name(other).to_owned(),
            };
            out.insert(k.clone(), t);
        }
    }
    out
}

/// The shape of the items of `body[key]` (first level of an array field).
pub fn item_shape(body: &Value, key: &str) -> Value {
    match shape(body).get(key) {
        Some(Value::Array(inner)) => inner.first().cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_item_shapes() {
        let v = json!({"a": [{"x": 1}, {"x": "s", "y": true}], "b": null});
        assert_eq!(
            shape(&v),
            json!({"a": [{"x": "number|string", "y": "boolean"}], "b": "null"})
        );
    }

    #[test]
    fn seed_types_win_over_notes() {
        let types = item_field_types(
            &item_shape(&presence_seed_example(), "users"),
            &[("utcOffset", "string"), ("statusText", "string")],
        );
        assert_eq!(types["utcOffset"], "number");
        assert_eq!(types["statusText"], "string");
    }
}

//! Small assertions the checks of both endpoints share, each failing with expected against
//! actual: the answer's media type, an object's keys within an allowed set, every item's keys
//! within a projection. A check composes them instead of writing the loop again.

use serde_json::{Map, Value};

use crate::context::{ensure, show};
use crate::http::Resp;
use crate::vocabulary::Verdict;

/// Whether a Content-Type names JSON (`application/json`, parameters allowed).
pub fn is_json_media_type(ct: &str) -> bool {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/json")
}

/// The answer says it is JSON.
pub fn json_media_type(resp: &Resp) -> Result<(), Verdict> {
    let ct = resp.header("content-type").unwrap_or("(none)");
    ensure(
        is_json_media_type(ct),
        format!("the {} answer is not JSON-typed", resp.status),
        "Content-Type: application/json",
        format!("Content-Type: {ct}"),
    )
}

/// An object has no key outside `allowed`; `what` names it in the failure.
pub fn keys_within(
    object: &Map<String, Value>,
    allowed: &[&str],
    what: &str,
) -> Result<(), Verdict> {
    let extra: Vec<&String> = object
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    ensure(
        extra.is_empty(),
        format!("{what} has keys outside {}", allowed.join(", ")),
        format!("keys among {allowed:?}"),
        format!("also {extra:?}"),
    )
}

/// Every object among `items` keeps to the projection `allowed`.
pub fn items_within(items: &[Value], allowed: &[&str]) -> Result<(), Verdict> {
    for item in items {
        if let Value::Object(m) = item {
            keys_within(m, allowed, &format!("item {}", show(m.get("_id"))))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn media_types_and_key_sets() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_media_type("text/html"));
        assert!(!is_json_media_type("application/jsonx"));
        let Value::Object(m) = json!({"users": [], "full": true, "extra": 1}) else {
            unreachable!()
        };
        assert!(keys_within(&m, &["users", "full", "extra"], "body").is_ok());
        let Err(Verdict::Fail(f)) = keys_within(&m, &["users", "full"], "body") else {
            panic!("an extra key passed")
        };
        assert!(f.actual.contains("extra"), "{f:?}");
        assert!(items_within(&[json!({"_id": "a", "x": 1})], &["_id"]).is_err());
        assert!(items_within(&[json!({"_id": "a"}), json!(3)], &["_id"]).is_ok());
    }
}

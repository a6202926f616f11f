//! Small assertions the checks of both endpoints share, each failing with expected against
//! actual: the answer's media type, an object's keys within an allowed set, every item's keys
//! within a projection, a directory page's arithmetic. A check composes them instead of writing
//! the loop again.

use serde_json::{Map, Value};

use crate::context::{ensure, show, DirAnswer};
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

/// The answer says exactly `application/json`, without parameters, as Rocket.Chat's own tests
/// require.
pub fn exactly_application_json(resp: &Resp) -> Result<(), Verdict> {
    let ct = resp.header("content-type").unwrap_or("(none)");
    ensure(
        ct == "application/json",
        format!(
            "the {} answer's Content-Type is not exactly application/json",
            resp.status
        ),
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

/// `count` is the number of items, `offset` the one asked for, `total` at least `count`.
pub fn page_arithmetic(a: &DirAnswer, offset: i64) -> Result<(), Verdict> {
    let n = a.result.len() as i64;
    ensure(
        a.count == n,
        "\"count\" must be the number of items returned",
        format!("\"count\": {n}"),
        format!("\"count\": {}", a.count),
    )?;
    ensure(
        a.offset == offset,
        "\"offset\" must echo the requested offset",
        format!("\"offset\": {offset}"),
        format!("\"offset\": {}", a.offset),
    )?;
    ensure(
        a.total >= n + offset.max(0) || (n == 0 && a.total >= 0),
        "\"total\" counts every match",
        format!("\"total\" ≥ {}", n + offset.max(0)),
        format!("\"total\": {}", a.total),
    )
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

    #[test]
    fn page_numbers_must_agree() {
        let page = |count, offset, total| DirAnswer {
            result: vec![json!({"_id": "a"}), json!({"_id": "b"})],
            count,
            offset,
            total,
            body: Map::new(),
        };
        assert!(page_arithmetic(&page(2, 3, 5), 3).is_ok());
        assert!(
            page_arithmetic(&page(1, 3, 5), 3).is_err(),
            "count is not the items"
        );
        assert!(
            page_arithmetic(&page(2, 0, 5), 3).is_err(),
            "offset not echoed"
        );
        assert!(
            page_arithmetic(&page(2, 3, 4), 3).is_err(),
            "total below offset + count"
        );
    }
}

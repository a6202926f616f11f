/*!
The parameters of `GET /api/v1/directory`, read from the raw query string with Rocket.Chat's
validation and error messages, and the pagination arithmetic of Rocket.Chat's
`getPaginationItems` and `browseChannels`.

Why it exists: the documented form (`query={"text":…,"type":…,"workspace":…}`,
docs/contract/directory.md#directory.params.query, plus the
"query-and-fields" convention: `sort` and `fields` as JSON strings) and Rocket.Chat 7+'s top-level
`text`, `type` and `workspace` (docs/contract/directory.md#directory.params.top-level) are both
accepted, and every malformed input has one exact 400 answer
(docs/contract/directory.md#directory.params.validation). The checks run in Rocket.Chat's order: the schema (unknown names, then types in schema
order), then `sort`, `fields` and `query` as `parseJsonQuery` reads them, then the one-key rule of
`sort`. What depends on the type (allowed sort keys, permissions) is checked by
[`super::search`].
*/

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::query_string::{InvalidParams, RawQuery};
use crate::version::Line;

/// The query parameters `directory` accepts from 7.0; anything else is refused.
pub const PARAMS: &[&str] = &[
    "count",
    "offset",
    "sort",
    "text",
    "type",
    "workspace",
    "query",
    "fields",
];

/// The query parameters `directory` accepts up to 6.x: no top-level criteria. (Rocket.Chat 6.x
/// refused `fields` too; the documentation page lists it, so it stays.)
pub const PARAMS_BEFORE_7: &[&str] = &["count", "offset", "sort", "query", "fields"];

/// Why a directory request is refused (always 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryError {
    /// Schema validation, ajv's message (`error-invalid-params`), or `Invalid query parameters`.
    Params(InvalidParams),
    /// `sort` is not JSON, or a value is not 1 or -1; carries the raw parameter.
    InvalidSort(String),
    /// `fields` is not a JSON object of 0s or of 1s; carries the raw parameter.
    InvalidFields(String),
    /// `query` is not a JSON object with string values; carries the raw parameter.
    InvalidQuery(String),
    /// `sort` names more than one key.
    OnlyOneSort,
    /// Unknown `type`, a sort key not allowed for the type, or a caller without permission.
    VerifyParameters,
}

impl DirectoryError {
    /// Rocket.Chat's `error` text.
    pub fn message(&self) -> String {
        match self {
            DirectoryError::Params(e) => e.0.clone(),
            DirectoryError::InvalidSort(raw) => {
                format!("Invalid sort parameter provided: \"{raw}\" [error-invalid-sort]")
            }
            DirectoryError::InvalidFields(raw) => {
                format!("Invalid fields parameter provided: \"{raw}\" [error-invalid-fields]")
            }
            DirectoryError::InvalidQuery(raw) => {
                format!("Invalid query parameter provided: \"{raw}\" [error-invalid-query]")
            }
            DirectoryError::OnlyOneSort => "This method support only one \"sort\" parameter".into(),
            DirectoryError::VerifyParameters => "Please verify the parameters".into(),
        }
    }

    /// Rocket.Chat's `errorType`, when it sends one.
    pub fn error_type(&self) -> Option<&'static str> {
        match self {
            DirectoryError::Params(e) if e.0 == "Invalid query parameters" => None,
            DirectoryError::Params(_) => Some("error-invalid-params"),
            DirectoryError::InvalidSort(_) => Some("error-invalid-sort"),
            DirectoryError::InvalidFields(_) => Some("error-invalid-fields"),
            DirectoryError::InvalidQuery(_) => Some("error-invalid-query"),
            DirectoryError::OnlyOneSort | DirectoryError::VerifyParameters => None,
        }
    }

    /// Rocket.Chat's `details`, when it sends them.
    pub fn details(&self) -> Option<Value> {
        match self {
            DirectoryError::InvalidSort(_)
            | DirectoryError::InvalidFields(_)
            | DirectoryError::InvalidQuery(_) => {
                Some(serde_json::json!({"helperMethod": "parseJsonQuery"}))
            }
            _ => None,
        }
    }
}

impl From<InvalidParams> for DirectoryError {
    fn from(e: InvalidParams) -> Self {
        DirectoryError::Params(e)
    }
}

/// A `fields` projection: which paths to keep (inclusion) or drop (exclusion). `_id` is always
/// kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    Include(Vec<String>),
    Exclude(Vec<String>),
}

/// A directory request, validated up to what depends on the type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirectoryRequest<'q> {
    /// Trimmed; empty means no text filter.
    pub text: Cow<'q, str>,
    /// As given; `None` means `channels`.
    pub kind: Option<Cow<'q, str>>,
    /// As given; `None` means `local`.
    pub workspace: Option<Cow<'q, str>>,
    pub count: Option<f64>,
    pub offset: Option<f64>,
    /// The one sort key and whether it is ascending (`1`).
    pub sort: Option<(String, bool)>,
    pub fields: Option<Projection>,
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// `s` without JavaScript's whitespace at either end, still borrowed when `s` is.
fn trimmed(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(super::fold::js_trim(b)),
        Cow::Owned(o) if super::fold::js_trim(&o).len() == o.len() => Cow::Owned(o),
        Cow::Owned(o) => Cow::Owned(super::fold::js_trim(&o).to_owned()),
    }
}

impl<'q> DirectoryRequest<'q> {
    /// Reads the query string as the release of `line` does: before 7.0 the criteria come only
    /// in `query`, and `text`, `type` or `workspace` at the top level are unknown names.
    pub fn parse(query: &'q str, line: Line) -> Result<Self, DirectoryError> {
        let raw = RawQuery::parse(query);
        raw.check_array_limit()?;
        raw.reject_unknown(if line.has_top_level_criteria() {
            PARAMS
        } else {
            PARAMS_BEFORE_7
        })?;
        let count = raw.number("count")?;
        let offset = raw.number("offset")?;
        let sort = raw.string("sort")?;
        let text = raw.string_cow("text")?;
        let kind = raw.string_cow("type")?;
        let workspace = raw.string_cow("workspace")?;
        let query_json = raw.string("query")?;
        let fields = raw.string("fields")?;

        let sort = non_empty(sort).map(parse_sort).transpose()?.flatten();
        let fields = non_empty(fields).map(parse_fields).transpose()?.flatten();
        let inner = non_empty(query_json)
            .map(parse_query)
            .transpose()?
            .unwrap_or_default();
        let sort = match sort {
            None => None,
            Some(keys) if keys.len() > 1 => return Err(DirectoryError::OnlyOneSort),
            Some(mut keys) => keys.pop(),
        };
        // A top-level value wins when given and not empty (Rocket.Chat spreads it over `query`
        // only when truthy).
        let pick = |top: Option<Cow<'q, str>>, inner: Option<String>| {
            top.filter(|t| !t.is_empty())
                .or_else(|| inner.map(Cow::Owned))
        };
        let text = pick(text, inner.text).unwrap_or_default();
        Ok(Self {
            text: trimmed(text),
            kind: pick(kind, inner.kind).filter(|k| !k.is_empty()),
            workspace: pick(workspace, inner.workspace).filter(|w| !w.is_empty()),
            count,
            offset,
            sort,
            fields,
        })
    }
}

/// `sort` as `parseJsonQuery` reads it: `JSON.parse`, then every entry of `Object.entries` must
/// have the value 1 or -1. Entries follow JavaScript: an array's are its elements, a string's its
/// characters, a number's or boolean's none; `null` has none to give (a TypeError). `None` when
/// there are no entries (`{}`, `[]`, `1`, `true`): the default order.
fn parse_sort(raw: &str) -> Result<Option<Vec<(String, bool)>>, DirectoryError> {
    let bad = || DirectoryError::InvalidSort(raw.to_owned());
    let value: Value = serde_json::from_str(raw).map_err(|_| bad())?;
    let entries: Vec<(String, Value)> = match value {
        Value::Null => return Err(bad()),
        Value::Object(map) => map.into_iter().collect(),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        Value::String(s) => s
            .encode_utf16()
            .enumerate()
            .map(|(i, _)| (i.to_string(), Value::String(String::new())))
            .collect(),
        Value::Number(_) | Value::Bool(_) => Vec::new(),
    };
    if entries.is_empty() {
        return Ok(None);
    }
    entries
        .into_iter()
        .map(|(key, v)| match v.as_f64() {
            Some(1.0) => Ok((key, true)),
            Some(-1.0) => Ok((key, false)),
            _ => Err(bad()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `fields`: a JSON object whose values are all 0 or all 1 (`_id` may be either and is kept
/// anyway). `{}` is no projection.
fn parse_fields(raw: &str) -> Result<Option<Projection>, DirectoryError> {
    let bad = || DirectoryError::InvalidFields(raw.to_owned());
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
        return Err(bad());
    };
    let (mut include, mut exclude) = (Vec::new(), Vec::new());
    for (path, v) in map {
        let keep = match v.as_f64() {
            Some(1.0) => true,
            Some(0.0) => false,
            _ => return Err(bad()),
        };
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(bad());
        }
        if path == "_id" {
            continue;
        }
        if keep {
            include.push(path);
        } else {
            exclude.push(path);
        }
    }
    match (include.is_empty(), exclude.is_empty()) {
        (false, false) => Err(bad()),
        (false, true) => Ok(Some(Projection::Include(include))),
        (true, false) => Ok(Some(Projection::Exclude(exclude))),
        (true, true) => Ok(None),
    }
}

#[derive(Debug, Default)]
struct InnerQuery {
    text: Option<String>,
    kind: Option<String>,
    workspace: Option<String>,
}

/// `query`: a JSON object; `text`, `type` and `workspace` are strings or `null` (absent); other
/// keys are ignored.
fn parse_query(raw: &str) -> Result<InnerQuery, DirectoryError> {
    let bad = || DirectoryError::InvalidQuery(raw.to_owned());
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
        return Err(bad());
    };
    let get = |map: &Map<String, Value>, key: &str| match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad()),
    };
    Ok(InnerQuery {
        text: get(&map, "text")?,
        kind: get(&map, "type")?,
        workspace: get(&map, "workspace")?,
    })
}

/// `parseInt(String(n))` for a JavaScript number: truncation, except that numbers JavaScript
/// prints in exponent form (`1e+21`, `1e-7`) give their leading digit.
pub fn js_parse_int(n: f64) -> f64 {
    let a = n.abs();
    if a == 0.0 {
        return 0.0;
    }
    let magnitude = if !(1e-6..1e21).contains(&a) {
        let s = format!("{a:e}");
        f64::from(s.as_bytes()[0] - b'0')
    } else {
        a.trunc()
    };
    if n < 0.0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paging {
    pub skip: usize,
    pub limit: usize,
    /// The `offset` echoed in the answer: JavaScript's `parseInt` of it, an integral number that
    /// may be negative or beyond 64 bits.
    pub offset: f64,
}

/// A JSON number as JavaScript would send an integral `f64`: plain digits while exact (below
/// 2^53), else the shortest form that reads back the same value (`1e+20`).
pub fn js_integer_json(n: f64) -> serde_json::Number {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.abs() < EXACT {
        serde_json::Number::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).unwrap_or_else(|| serde_json::Number::from(0))
    }
}

/// Rocket.Chat's arithmetic: `count` absent → `API_Default_Count`; above
/// `API_Upper_Count_Limit` → the limit; then `browseChannels` turns 0 or less into 10. A negative
/// `offset` skips nothing but is echoed.
pub fn paging(
    count: Option<f64>,
    offset: Option<f64>,
    default_count: i64,
    upper_limit: i64,
) -> Paging {
    let offset = offset.map_or(0.0, js_parse_int);
    let count = count.map_or(default_count as f64, js_parse_int);
    let count = count.min(upper_limit as f64);
    let limit = if count > 0.0 { count as usize } else { 10 };
    Paging {
        // `as` saturates: an offset beyond the collection skips everything.
        skip: offset.max(0.0) as usize,
        limit,
        offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<DirectoryRequest<'_>, DirectoryError> {
        DirectoryRequest::parse(q, Line::V8_6)
    }

    fn msg(q: &str) -> String {
        parse(q).unwrap_err().message()
    }

    #[test]
    fn before_7_the_criteria_come_only_in_query() {
        for line in [Line::V5, Line::V6] {
            for q in ["text=a", "type=users", "workspace=all"] {
                assert_eq!(
                    DirectoryRequest::parse(q, line).unwrap_err().message(),
                    "must NOT have additional properties",
                    "{q} on {line}"
                );
            }
            let r = DirectoryRequest::parse(
                r#"query={"type":"users","text":" a "}&fields={"name":1}"#,
                line,
            )
            .unwrap();
            assert_eq!((r.kind.as_deref(), r.text.as_ref()), (Some("users"), "a"));
        }
        let r = DirectoryRequest::parse("type=users&text=a", Line::V7).unwrap();
        assert_eq!((r.kind.as_deref(), r.text.as_ref()), (Some("users"), "a"));
    }

    #[test]
    fn the_seed_query_form_is_read() {
        let r = parse("query=%7B%22text%22%3A%20%22rocket%22%2C%20%22type%22%3A%20%22users%22%2C%20%22workspace%22%3A%20%22local%22%7D").unwrap();
        assert_eq!(r.text, "rocket");
        assert_eq!(r.kind.as_deref(), Some("users"));
        assert_eq!(r.workspace.as_deref(), Some("local"));
    }

    #[test]
    fn unencoded_braces_and_quotes_are_read() {
        let r = parse(r#"query={"text":"gene","type":"channels"}&count=1&offset=2"#).unwrap();
        assert_eq!(
            (r.text.as_ref(), r.kind.as_deref()),
            ("gene", Some("channels"))
        );
        assert_eq!((r.count, r.offset), (Some(1.0), Some(2.0)));
    }

    #[test]
    fn top_level_wins_over_query_unless_empty() {
        let r = parse(r#"query={"text":"a","type":"users","workspace":"all"}&text=b&type=teams"#)
            .unwrap();
        assert_eq!(r.text, "b");
        assert_eq!(r.kind.as_deref(), Some("teams"));
        assert_eq!(r.workspace.as_deref(), Some("all"));
        let r = parse(r#"query={"text":"a"}&text="#).unwrap();
        assert_eq!(r.text, "a");
    }

    #[test]
    fn text_is_trimmed() {
        assert_eq!(parse("text=%20%20gene%09").unwrap().text, "gene");
        assert_eq!(parse("text=%20%20").unwrap().text, "");
    }

    #[test]
    fn schema_errors_use_ajv_messages() {
        assert_eq!(msg("foo=1"), "must NOT have additional properties");
        assert_eq!(msg("page=1"), "must NOT have additional properties");
        assert_eq!(msg("count=abc"), "must be number");
        assert_eq!(msg("offset=1&offset=2"), "must be number");
        assert_eq!(msg("text=a&text=b"), "must be string");
        assert_eq!(msg("text[a]=b"), "must be string");
        assert_eq!(msg("type=a&type=b"), "must be string");
        assert_eq!(msg("sort=a&sort=b"), "must be string");
        assert_eq!(
            parse("foo=1").unwrap_err().error_type(),
            Some("error-invalid-params")
        );
        // Over qs's array limit: Rocket.Chat's router answers without an errorType.
        let many = vec!["text=a"; crate::query_string::ARRAY_LIMIT + 1].join("&");
        let too_many = parse(&many).unwrap_err();
        assert_eq!(too_many.message(), "Invalid query parameters");
        assert_eq!(too_many.error_type(), None);
    }

    #[test]
    fn sort_follows_parse_json_query() {
        let sort = |s: &str| parse(&format!("sort={s}")).map(|r| r.sort);
        assert_eq!(sort(r#"{"name":1}"#), Ok(Some(("name".into(), true))));
        assert_eq!(sort(r#"{"name":-1.0}"#), Ok(Some(("name".into(), false))));
        assert_eq!(sort("{}"), Ok(None));
        assert_eq!(sort("[]"), Ok(None));
        assert_eq!(sort("1"), Ok(None));
        assert_eq!(sort("true"), Ok(None));
        assert_eq!(sort("[1]"), Ok(Some(("0".into(), true))));
        for bad in [
            "null",
            "{",
            r#"{"name":"1"}"#,
            r#"{"name":2}"#,
            r#""ab""#,
            "nope",
        ] {
            assert_eq!(
                sort(bad),
                Err(DirectoryError::InvalidSort(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            sort(r#"{"name":1,"ts":-1}"#),
            Err(DirectoryError::OnlyOneSort)
        );
        assert_eq!(
            msg("sort={"),
            r#"Invalid sort parameter provided: "{" [error-invalid-sort]"#
        );
    }

    #[test]
    fn fields_is_an_inclusion_or_an_exclusion() {
        let fields = |s: &str| parse(&format!("fields={s}")).map(|r| r.fields);
        assert_eq!(
            fields(r#"{"name":1,"_id":0}"#),
            Ok(Some(Projection::Include(vec!["name".into()])))
        );
        assert_eq!(
            fields(r#"{"bio":0}"#),
            Ok(Some(Projection::Exclude(vec!["bio".into()])))
        );
        assert_eq!(fields("{}"), Ok(None));
        for bad in [
            "[]",
            "1",
            "{",
            r#"{"a":1,"b":0}"#,
            r#"{"a":2}"#,
            r#"{"a..b":1}"#,
        ] {
            assert_eq!(
                fields(bad),
                Err(DirectoryError::InvalidFields(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn query_must_be_an_object_of_strings() {
        for bad in ["{", "1", "null", r#"{"text":5}"#] {
            assert_eq!(
                parse(&format!("query={bad}")),
                Err(DirectoryError::InvalidQuery(bad.into()))
            );
        }
        assert_eq!(parse(r#"query={"text":null,"other":1}"#).unwrap().text, "");
    }

    #[test]
    fn parse_int_of_a_number_is_javascripts() {
        assert_eq!(js_parse_int(1.9), 1.0);
        assert_eq!(js_parse_int(-1.9), -1.0);
        assert_eq!(js_parse_int(-0.5), 0.0);
        assert_eq!(js_parse_int(1e21), 1.0);
        assert_eq!(js_parse_int(2.5e22), 2.0);
        assert_eq!(js_parse_int(1e-7), 1.0);
        assert_eq!(js_parse_int(123.0), 123.0);
        assert_eq!(js_parse_int(1e20), 1e20);
    }

    #[test]
    fn offsets_beyond_64_bits_are_echoed_as_javascript_numbers() {
        assert_eq!(js_integer_json(-3.0).to_string(), "-3");
        assert_eq!(js_integer_json(1e20).as_f64(), Some(1e20));
        let min = js_integer_json(-9_223_372_036_854_775_808.0);
        assert_eq!(min.as_f64(), Some(-9.223372036854776e18));
        let p = paging(None, Some(1e20), 50, 100);
        assert_eq!((p.skip, p.offset), (usize::MAX, 1e20));
    }

    #[test]
    fn paging_is_rocket_chats() {
        let p = |c: Option<f64>, o: Option<f64>| paging(c, o, 50, 100);
        assert_eq!(
            p(None, None),
            Paging {
                skip: 0,
                limit: 50,
                offset: 0.0
            }
        );
        assert_eq!(p(Some(500.0), None).limit, 100);
        assert_eq!(p(Some(0.0), None).limit, 10);
        assert_eq!(p(Some(-5.0), None).limit, 10);
        assert_eq!(p(Some(20.0), None).limit, 20);
        assert_eq!(
            p(None, Some(-3.0)),
            Paging {
                skip: 0,
                limit: 50,
                offset: -3.0
            }
        );
        assert_eq!(
            p(None, Some(1.9)),
            Paging {
                skip: 1,
                limit: 50,
                offset: 1.0
            }
        );
    }
}

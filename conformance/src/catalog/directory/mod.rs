/*!
`directory` checks that need no data of their own: the envelope and item shapes per type, the
`type` and `workspace` values, pagination fields and arithmetic (default, clamp, zero, negative,
beyond the end) and completeness, text matching on whatever names the target returns, the
default order, sort errors, parameter validation and the content type. Assertions are about
the target's own answers (what one call returns must agree with another), never about fixture
contents.
*/

use std::collections::BTreeMap;

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use super::Check;
use super::{check, shared_as};
use crate::config::DirectoryForm;
use crate::context::{
    dir_req, ensure, error_text, ids_of, show, split_fields, Auth, Ctx, DirAnswer, DirQuery,
    DIRECTORY,
};
pub(crate) use crate::contract::USER_KEYS;
use crate::http::{snippet, Req};
use crate::schedule::Sharing;
use crate::shape::{
    directory_channels_seed_example, directory_users_seed_example, item_field_types, item_shape,
    type_name,
};
use crate::versions::{Line, Lines};
use crate::vocabulary::{Level, Needs, Verdict};

use super::expect::{
    exactly_application_json, items_within, json_media_type, keys_within, page_arithmetic,
};

/// Keys a channel or team item may carry (docs/contract/directory.md#directory.channels.projection;
/// `usernames` is in the documentation page's example).
pub const ROOM_KEYS: [&str; 19] = [
    "_id",
    "t",
    "name",
    "fname",
    "description",
    "topic",
    "lastMessage",
    "ts",
    "archived",
    "default",
    "featured",
    "usersCount",
    "prid",
    "teamId",
    "federated",
    "belongsTo",
    "teamMain",
    "roomsCount",
    "usernames",
];

/// Regex metacharacters that must match literally.
pub const METACHARACTERS: &str = ".*+?^$()[]{}|\\";

mod channels;
mod content_type;
mod envelope;
mod managed;
mod pagination;
mod params;
mod property;
mod sort;
mod teams;
mod text;
mod r#type;
mod users;
mod workspace;

pub(super) fn add(out: &mut Vec<Check>) {
    // Directory answers do not depend on the time. Unless a check says otherwise, one answer's
    // own content is judged (nothing shared) or answers over data the suite did not make are
    // compared (read).
    let start = out.len();
    super::auth::add(out, "directory", DIRECTORY);
    envelope::add(out);
    users::add(out);
    shared_as(out, start, Sharing::INDEPENDENT);
    channels::add(out);
    let start = out.len();
    teams::add(out);
    shared_as(out, start, Sharing::INDEPENDENT);
    let start = out.len();
    r#type::add(out);
    workspace::add(out);
    pagination::add(out);
    text::add(out);
    sort::add(out);
    params::add(out);
    shared_as(out, start, Sharing::READS_DATA);
    let start = out.len();
    content_type::add(out);
    shared_as(out, start, Sharing::INDEPENDENT);
    let start = out.len();
    managed::add(out);
    shared_as(out, start, Sharing::WRITES_DATA);
    property::add(out);
}

fn private_group_only_for_members(ctx: &mut Ctx) -> Result<(), Verdict> {
    let Some(second) = ctx.session.second.clone() else {
        return Err(Verdict::Skip("no second user".into()));
    };
    if second.user_id == ctx.session.caller.user_id {
        return Err(Verdict::Skip("the second user is the caller".into()));
    }
    let name = format!(
        "conformance-private-{}-{}",
        ctx.session.seed,
        chrono::Utc::now().timestamp_millis()
    );
    let resp =
        ctx.call(Req::method("POST", "/api/v1/groups.create").json(json!({ "name": name })))?;
    let body = ctx.json_of(&resp)?;
    let Some(id) = body["group"]["_id"].as_str().map(str::to_owned) else {
        return Err(Verdict::Skip(format!(
            "the target did not create a private group (POST /api/v1/groups.create answered {} {})",
            resp.status,
            snippet(&body.to_string(), 200)
        )));
    };
    let outcome = (|| {
        let q = DirQuery::of("channels").text(&name);
        let own = ctx.directory(&q, &[("count", "100")])?;
        ensure(
            own.ids().contains(&id),
            format!("the creator (a member) does not find its private group {name:?}"),
            format!("{id} among the results"),
            format!("{:?}", own.ids()),
        )?;
        let req = ctx.dir_req(&q, &[("count", "100")]);
        let other = ctx.directory_req(req, &Auth::Second)?;
        ensure(
            !other.ids().contains(&id),
            format!("a user who is not a member sees the private group {name:?}"),
            format!("no {id}"),
            format!("{:?}", other.ids()),
        )
    })();
    let deleted = ctx.tidy(|ctx| {
        ctx.call(Req::method("POST", "/api/v1/groups.delete").json(json!({ "roomId": id })))
    });
    match deleted {
        Ok(r) if r.status == 200 => {}
        Ok(r) => ctx.note(format!(
            "deleting the private group {name:?} answered {}",
            r.status
        )),
        Err(v) => ctx.note(format!("deleting the private group {name:?} failed: {v:?}")),
    }
    outcome
}

/// Which kind of item a result holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Users,
    Rooms,
}

/// Field types per the seed examples (never null), required keys, and no key of the other kind.
pub fn check_items(items: &[Value], kind: Kind) -> Result<(), Verdict> {
    let (types, required, foreign) = expectations(kind);
    for item in items {
        check_item(item, &types, required, foreign)?;
    }
    Ok(())
}

/// The JSON type of each field an item may carry, by name.
type FieldTypes = BTreeMap<String, String>;

/// What an item of a kind must look like: the JSON type of each known field, the fields it
/// must have, and the fields of the other kind it must not have.
fn expectations(kind: Kind) -> (FieldTypes, &'static [&'static str], &'static [&'static str]) {
    match kind {
        Kind::Users => (
            item_field_types(
                &item_shape(&directory_users_seed_example(), "result"),
                &[
                    ("nickname", "string"),
                    ("bio", "string"),
                    ("federation", "object"),
                ],
            ),
            &["_id", "username"],
            &["t", "ts", "usersCount"],
        ),
        Kind::Rooms => (
            item_field_types(
                &item_shape(&directory_channels_seed_example(), "result"),
                &[
                    ("t", "string"),
                    ("fname", "string"),
                    ("description", "string"),
                    ("topic", "string"),
                    ("lastMessage", "object"),
                    ("archived", "boolean"),
                    ("default", "boolean"),
                    ("featured", "boolean"),
                    ("usersCount", "number"),
                    ("prid", "string"),
                    ("teamId", "string"),
                    ("federated", "boolean"),
                    ("belongsTo", "string"),
                    ("teamMain", "boolean"),
                    ("roomsCount", "number"),
                ],
            ),
            &["_id", "name"],
            &["username", "emails", "createdAt"],
        ),
    }
}

/// One item of a search against its kind's expectations.
fn check_item(
    item: &Value,
    types: &FieldTypes,
    required: &[&str],
    foreign: &[&str],
) -> Result<(), Verdict> {
    let Value::Object(m) = item else {
        return Err(Verdict::fail(
            "an item is not an object",
            "an object",
            snippet(&item.to_string(), 200),
        ));
    };
    let who = show(m.get("_id"));
    for key in required {
        ensure(
            m.get(*key).is_some_and(Value::is_string),
            format!("item {who} lacks a string \"{key}\""),
            format!("\"{key}\": <string>"),
            format!("\"{key}\": {}", show(m.get(*key))),
        )?;
    }
    for key in foreign {
        ensure(
            !m.contains_key(*key),
            format!("item {who} has \"{key}\", a field of the other kind"),
            format!("no \"{key}\""),
            format!("\"{key}\": {}", show(m.get(*key))),
        )?;
    }
    for (k, v) in m {
        if let Some(want) = types.get(k) {
            ensure(
                type_name(v) == want,
                format!("item {who}: \"{k}\" has the wrong JSON type"),
                format!("\"{k}\": <{want}> (absent when unknown, never null)"),
                format!("\"{k}\": {}", snippet(&v.to_string(), 100)),
            )?;
        }
    }
    for date in ["createdAt", "ts"] {
        if let Some(Value::String(s)) = m.get(date) {
            ensure(
                chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                format!("item {who}: \"{date}\" is not an ISO 8601 date"),
                format!("\"{date}\": e.g. \"2018-04-13T12:46:26.517Z\""),
                format!("\"{date}\": {s:?}"),
            )?;
        }
    }
    if let Some(Value::Array(emails)) = m.get("emails") {
        for e in emails {
            ensure(
                e.get("address").is_some_and(Value::is_string)
                    && e.get("verified").is_none_or(Value::is_boolean),
                format!("item {who}: an email is not {{address, verified}}"),
                "{\"address\": <string>, \"verified\": <boolean>}",
                snippet(&e.to_string(), 100),
            )?;
        }
    }
    if let Some(Value::Array(names)) = m.get("usernames") {
        ensure(
            names.iter().all(Value::is_string),
            format!("item {who}: usernames are not strings"),
            "[<string>…]",
            snippet(&Value::Array(names.clone()).to_string(), 100),
        )?;
    }
    Ok(())
}

/// Two answers list the same items in the same order with the same total.
fn same_answer(a: &DirAnswer, b: &DirAnswer, a_name: &str, b_name: &str) -> Result<(), Verdict> {
    ensure(
        a.ids() == b.ids() && a.total == b.total,
        format!("{b_name} must answer as {a_name}"),
        format!("{a_name}: total {}, ids {:?}", a.total, a.ids()),
        format!("{b_name}: total {}, ids {:?}", b.total, b.ids()),
    )
}

fn note_indecisive(ctx: &mut Ctx, total: i64, limit: i64) {
    if total <= limit {
        ctx.note(format!(
            "not decisive: the target has {total} matches, not more than the limit {limit}"
        ));
    }
}

fn pages_cover_once(ctx: &mut Ctx, kind: &str) -> Result<(), Verdict> {
    let q = DirQuery::of(kind);
    let total = ctx.directory(&q, &[("count", "1")])?.total;
    let page = if total <= 20 {
        2
    } else {
        ((total + 9) / 10).min(100)
    };
    let max_pages = 30usize;
    let mut seen: Vec<String> = Vec::new();
    let mut offset = 0i64;
    for _ in 0..max_pages {
        let a = ctx.directory(
            &q,
            &[
                ("count", &page.to_string()),
                ("offset", &offset.to_string()),
            ],
        )?;
        page_arithmetic(&a, offset)?;
        ensure(
            a.total == total,
            format!("total changed at offset {offset}"),
            format!("\"total\": {total}"),
            format!("\"total\": {}", a.total),
        )?;
        if a.result.is_empty() {
            break;
        }
        seen.extend(a.ids());
        offset += page;
        if offset >= total {
            // One more page past the end must be empty; the loop's next turn checks it.
            let a = ctx.directory(
                &q,
                &[
                    ("count", &page.to_string()),
                    ("offset", &offset.to_string()),
                ],
            )?;
            ensure(
                a.result.is_empty(),
                "a page past total is not empty",
                "result []",
                format!("{:?}", a.ids()),
            )?;
            break;
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    ensure(
        unique.len() == seen.len(),
        "an item appears on two pages",
        "each _id once",
        format!("{seen:?}"),
    )?;
    if (seen.len() as i64) < total && offset < total {
        ctx.note(format!(
            "stopped after {max_pages} pages of {page}; {} of {total} seen",
            seen.len()
        ));
        return Ok(());
    }
    ensure(
        seen.len() as i64 == total,
        "the pages do not add up to total",
        format!("{total} items"),
        format!("{} items: {seen:?}", seen.len()),
    )
}

/// Case-insensitive substring, as JavaScript's `RegExp(…, 'i')` on an escaped text.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Whether a directory item matches a (trimmed) text on the type's search fields.
pub fn item_matches(item: &Value, text: &str, fields: &[String]) -> bool {
    let text = text.trim();
    text.is_empty()
        || fields.iter().any(|f| match item.get(f) {
            Some(Value::String(s)) => contains_ci(s, text),
            Some(Value::Array(a)) => a.iter().any(|e| {
                e.get("address")
                    .and_then(Value::as_str)
                    .is_some_and(|s| contains_ci(s, text))
            }),
            _ => false,
        })
}

/// The search fields of a type, as far as the items show them.
pub fn search_fields(ctx: &Ctx, kind: &str) -> Vec<String> {
    if kind == "users" {
        ctx.settings().search_fields()
    } else {
        split_fields("name, fname")
    }
}

/// Flips the case of the letters at even positions where that round-trips to one character.
pub fn flip_case(s: &str, mask: impl Fn(usize) -> bool) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if !mask(i) {
                return c;
            }
            let flipped: Vec<char> = if c.is_lowercase() {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            match flipped.as_slice() {
                [f] if f.to_lowercase().eq(c.to_lowercase()) => *f,
                _ => c,
            }
        })
        .collect()
}

/// A text taken from the middle of some item's `field`, case-flipped; and that item's id.
fn pick_needle(
    ctx: &mut Ctx,
    kind: &str,
    field: &str,
) -> Result<Option<(String, String)>, Verdict> {
    let a = ctx.directory(&DirQuery::of(kind), &[("count", "100")])?;
    for item in &a.result {
        let Some(value) = item.get(field).and_then(Value::as_str) else {
            continue;
        };
        let chars: Vec<char> = value.chars().collect();
        if chars.len() < 3 {
            continue;
        }
        let end = chars.len().min(6) - 1;
        let middle: String = chars[1..end.max(2)].iter().collect();
        let needle = flip_case(&middle, |i| i % 2 == 0);
        if needle.trim() != needle || needle.trim().is_empty() {
            continue;
        }
        let id = item
            .get("_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        return Ok(Some((needle, id)));
    }
    Ok(None)
}

fn text_matches(ctx: &mut Ctx, kind: &str, field: &str) -> Result<(), Verdict> {
    let Some((needle, source_id)) = pick_needle(ctx, kind, field)? else {
        return Err(Verdict::Skip(format!(
            "no {kind} item with a {field} of 3 characters or more"
        )));
    };
    let fields = search_fields(ctx, kind);
    let a = ctx.directory(&DirQuery::of(kind).text(&needle), &[("count", "100")])?;
    for item in &a.result {
        ensure(
            item_matches(item, &needle, &fields),
            format!("text {needle:?} returned an item that does not contain it"),
            format!("every item contains {needle:?} (any case) in one of {fields:?}"),
            snippet(&item.to_string(), 300),
        )?;
    }
    if a.total <= a.result.len() as i64 {
        ensure(
            a.ids().contains(&source_id),
            format!("text {needle:?} (from {source_id}'s {field}) did not find {source_id}"),
            format!("{source_id} among the results"),
            format!("{:?}", a.ids()),
        )?;
    }
    Ok(())
}

fn metacharacters_literal(ctx: &mut Ctx) -> Result<(), Verdict> {
    let mut needles: Vec<String> = [".*", "(", "[a-z]", "^", "$", "\\d", "a|b", "+"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // Texts around a metacharacter actually present in a name on the target must find it.
    let mut wanted: Vec<(String, String)> = Vec::new();
    for kind in ["users", "channels"] {
        let a = ctx.directory(&DirQuery::of(kind), &[("count", "100")])?;
        for item in &a.result {
            for field in ["username", "name"] {
                let Some(value) = item.get(field).and_then(Value::as_str) else {
                    continue;
                };
                let chars: Vec<char> = value.chars().collect();
                if let Some(pos) = chars.iter().position(|c| METACHARACTERS.contains(*c)) {
                    let start = pos.saturating_sub(1);
                    let end = (pos + 2).min(chars.len());
                    let needle: String = chars[start..end].iter().collect();
                    if needle.trim() == needle && wanted.len() < 4 {
                        wanted.push((kind.to_owned(), needle.clone()));
                        needles.push(needle);
                    }
                }
            }
        }
    }
    for kind in ["users", "channels"] {
        let fields = search_fields(ctx, kind);
        for needle in &needles {
            let a = ctx.directory(&DirQuery::of(kind).text(needle), &[("count", "100")])?;
            for item in &a.result {
                ensure(
                    item_matches(item, needle, &fields),
                    format!("text {needle:?} was treated as a pattern"),
                    format!("only items containing {needle:?} literally"),
                    snippet(&item.to_string(), 300),
                )?;
            }
            if wanted.iter().any(|(k, n)| k == kind && n == needle) {
                ensure(
                    !a.result.is_empty(),
                    format!("text {needle:?}, taken from a {kind} name, found nothing"),
                    "at least that item",
                    "result []",
                )?;
            }
        }
    }
    Ok(())
}

/// Names in order: descending or ascending in byte order, allowing featured rooms first and
/// any grouping of equal `featured` values.
fn check_name_order(
    items: &[Value],
    descending: bool,
    featured_first: bool,
) -> Result<(), Verdict> {
    let names: Vec<Option<&str>> = items
        .iter()
        .map(|i| i.get("name").and_then(Value::as_str))
        .collect();
    if featured_first {
        let flags: Vec<bool> = items
            .iter()
            .map(|i| i.get("featured") == Some(&Value::Bool(true)))
            .collect();
        if let Some(first_plain) = flags.iter().position(|f| !f) {
            ensure(
                flags[first_plain..].iter().all(|f| !f),
                "featured rooms must come first",
                "every featured: true item before the others",
                format!("featured flags in order: {flags:?}"),
            )?;
        }
    }
    let group = |i: usize| {
        if featured_first {
            items[i].get("featured").cloned()
        } else {
            None
        }
    };
    for i in 1..names.len() {
        if group(i) != group(i - 1) {
            continue;
        }
        let ordered = if descending {
            names[i - 1] >= names[i]
        } else {
            names[i - 1] <= names[i]
        };
        ensure(
            ordered,
            format!(
                "names are not in {} byte order",
                if descending {
                    "descending"
                } else {
                    "ascending"
                }
            ),
            format!(
                "{:?} {} {:?}",
                names[i - 1],
                if descending { "≥" } else { "≤" },
                names[i]
            ),
            format!("order: {names:?}"),
        )?;
    }
    Ok(())
}

/// The given parameter form selects the type and filters by text.
fn forms_work(ctx: &mut Ctx, form: DirectoryForm) -> Result<(), Verdict> {
    let users_req = dir_req(form, &DirQuery::of("users"), &[("count", "100")]);
    let users = ctx.directory_req(users_req, &Auth::Caller)?;
    check_items(&users.result, Kind::Users)?;
    let channels_req = dir_req(form, &DirQuery::of("channels"), &[("count", "100")]);
    let channels = ctx.directory_req(channels_req, &Auth::Caller)?;
    check_items(&channels.result, Kind::Rooms)?;
    let Some(first) = users
        .result
        .iter()
        .find_map(|u| u.get("username").and_then(Value::as_str))
        .map(str::to_owned)
    else {
        return Ok(());
    };
    let text_req = dir_req(
        form,
        &DirQuery::of("users").text(&first),
        &[("count", "100")],
    );
    let found = ctx.directory_req(text_req, &Auth::Caller)?;
    let fields = search_fields(ctx, "users");
    ensure(
        found
            .result
            .iter()
            .all(|i| item_matches(i, &first, &fields))
            && found.total <= users.total,
        format!("the text {first:?} did not filter"),
        format!("only users matching {first:?}"),
        format!(
            "{} of {} users: {:?}",
            found.total,
            users.total,
            found.ids()
        ),
    )?;
    let names: BTreeSet<&str> = found
        .result
        .iter()
        .filter_map(|u| u.get("username").and_then(Value::as_str))
        .collect();
    ensure(
        names.contains(first.as_str()),
        format!("searching for {first:?} did not find that user"),
        first.clone(),
        format!("{names:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flips_case_only_where_it_round_trips() {
        assert_eq!(flip_case("aBc", |_| true), "AbC");
        assert_eq!(flip_case("ßx", |_| true), "ßX");
        assert_eq!(flip_case("李x", |_| true), "李X");
    }

    #[test]
    fn matching_is_literal_and_trimmed() {
        let item = json!({"username": "dot.test", "name": "Dot Test"});
        let fields = split_fields("username, name");
        assert!(item_matches(&item, "T.T", &fields));
        assert!(!item_matches(&item, "t.x", &fields));
        assert!(item_matches(&item, "  dot ", &fields));
        assert!(item_matches(&item, "   ", &fields));
    }

    #[test]
    fn name_order_allows_featured_groups() {
        let items = vec![
            json!({"name": "b", "featured": true}),
            json!({"name": "z"}),
            json!({"name": "a"}),
        ];
        assert!(check_name_order(&items, true, true).is_ok());
        assert!(check_name_order(&items, true, false).is_err());
    }
}

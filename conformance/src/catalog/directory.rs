/*!
`directory` checks that need no data of their own: the envelope and item shapes per type, the
`type` and `workspace` values, pagination fields and arithmetic (default, clamp, zero, negative,
beyond the end) and completeness, text matching on whatever names the target returns, the
default order, sort errors, parameter validation and the content type. Assertions are about
the target's own answers (what one call returns must agree with another), never about fixture
contents.
*/

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use super::{check, spec, DIRECTORY_SEED};
use crate::config::DirectoryForm;
use crate::context::{
    dir_req, ensure, error_text, ids_of, show, split_fields, Auth, Ctx, DirAnswer, DirQuery,
    DIRECTORY,
};
use crate::http::{snippet, Req};
use crate::model::{Check, Level, Needs, Verdict};
use crate::shape::{
    directory_channels_seed_example, directory_users_seed_example, item_field_types, item_shape,
    type_name,
};

use super::presence::is_json_media_type;

/// Keys a user item may carry (§2.8 projection).
pub const USER_KEYS: [&str; 9] = [
    "_id",
    "username",
    "name",
    "nickname",
    "bio",
    "createdAt",
    "emails",
    "federation",
    "avatarETag",
];
/// Keys a channel or team item may carry (§2.6, §2.7, §4; `usernames` is in the seed example).
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

pub(super) fn add(out: &mut Vec<Check>) {
    // ----- envelope and shapes -------------------------------------------------------------
    for (kind, level, source) in [
        ("users", Level::Must, DIRECTORY_SEED),
        ("channels", Level::Must, DIRECTORY_SEED),
        ("teams", Level::Should, spec("spec §2.7, §2.9")),
    ] {
        out.push(check(
            format!("directory/envelope/{kind}"),
            level,
            Needs::CREDENTIALS,
            "The result is { result: [...], count, offset, total, success: true }: count the number of items returned, offset the requested offset (0 by default), total at least count.",
            source,
            move |ctx| {
                let a = ctx.directory(&DirQuery::of(kind), &[])?;
                check_envelope(&a, 0)
            },
        ));
    }
    out.push(check(
        "directory/envelope/no-extra-top-level-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "The 8.4+ response schema forbids top-level keys other than result, count, offset, total, success.",
        spec("spec §2.9"),
        |ctx| {
            let a = ctx.directory(&DirQuery::of("users"), &[])?;
            let extra: Vec<&String> = a.body.keys().filter(|k| !["result", "count", "offset", "total", "success"].contains(&k.as_str())).collect();
            ensure(extra.is_empty(), "extra top-level keys", "only result, count, offset, total, success", format!("also {extra:?}"))
        },
    ));
    out.push(check(
        "directory/users/field-types",
        Level::Must,
        Needs::CREDENTIALS,
        "type users gives user items like the example's: \"_id\", \"username\" strings; \"name\", \"createdAt\" (ISO 8601), \"avatarETag\" strings and \"emails\" [{address, verified}] when present; never null; no room fields.",
        DIRECTORY_SEED,
        |ctx| {
            let a = ctx.directory(&DirQuery::of("users"), &[("count", "100")])?;
            check_items(&a.result, Kind::Users)
        },
    ));
    out.push(check(
        "directory/channels/field-types",
        Level::Must,
        Needs::CREDENTIALS,
        "type channels gives room items like the example's: \"_id\", \"name\" strings; \"ts\" an ISO 8601 string and \"usernames\" an array of strings when present; never null; no user fields.",
        DIRECTORY_SEED,
        |ctx| {
            let a = ctx.directory(&DirQuery::of("channels"), &[("count", "100")])?;
            check_items(&a.result, Kind::Rooms)
        },
    ));
    out.push(check(
        "directory/teams/field-types",
        Level::Should,
        Needs::CREDENTIALS,
        "type teams gives team main rooms with _id, fname, teamMain, name, t, usersCount, ts, teamId, default, roomsCount (room field types).",
        spec("spec §2.7, §9 rule 29"),
        |ctx| {
            let a = ctx.directory(&DirQuery::of("teams"), &[("count", "100")])?;
            check_items(&a.result, Kind::Rooms)?;
            for item in &a.result {
                ensure(
                    item.get("teamMain") == Some(&Value::Bool(true)),
                    format!("team {} is not a team main room", show(item.get("_id"))),
                    "\"teamMain\": true",
                    format!("\"teamMain\": {}", show(item.get("teamMain"))),
                )?;
            }
            Ok(())
        },
    ));
    out.push(check(
        "directory/users/only-projected-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "User items carry only _id, username, name, nickname, bio, createdAt, emails (when allowed), federation, avatarETag.",
        spec("spec §2.8, §4"),
        |ctx| {
            let a = ctx.directory(&DirQuery::of("users"), &[("count", "100")])?;
            only_keys(&a.result, &USER_KEYS)
        },
    ));
    out.push(check(
        "directory/channels/only-projected-keys",
        Level::Should,
        Needs::CREDENTIALS,
        "Channel items carry only the room projection: _id, t, name, fname, description, topic, lastMessage, ts, archived, default, featured, usersCount, prid, teamId, federated, belongsTo (usernames in the seed).",
        spec("spec §2.6, §4"),
        |ctx| {
            let a = ctx.directory(&DirQuery::of("channels"), &[("count", "100")])?;
            only_keys(&a.result, &ROOM_KEYS)
        },
    ));
    out.push(check(
        "directory/users/no-emails-for-non-admin",
        Level::Should,
        Needs::SECOND_NON_ADMIN,
        "emails is projected only if the caller has view-full-other-user-info (admins by default): a normal user's results have no emails.",
        spec("spec §2.8, §9 rule 27"),
        |ctx| {
            let req = ctx.dir_req(&DirQuery::of("users"), &[("count", "100")]);
            let a = ctx.directory_req(req, &Auth::Second)?;
            for item in &a.result {
                ensure(
                    item.get("emails").is_none(),
                    format!("a non-admin sees the emails of {}", show(item.get("username"))),
                    "no \"emails\" key",
                    format!("\"emails\": {}", show(item.get("emails"))),
                )?;
            }
            Ok(())
        },
    ));

    // ----- type and workspace --------------------------------------------------------------
    out.push(check(
        "directory/type/missing-is-channels",
        Level::Should,
        Needs::CREDENTIALS,
        "type missing: browseChannels defaults to 'channels'.",
        spec("spec §2.3, §9 rule 35"),
        |ctx| {
            let channels = ctx.directory(&DirQuery::of("channels"), &[("count", "100")])?;
            let missing = ctx.directory(&DirQuery::default(), &[("count", "100")])?;
            same_answer(&channels, &missing, "type=channels", "no type")
        },
    ));
    out.push(check(
        "directory/type/invalid-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "type not in channels|users|teams: 400 {success:false, error:\"Please verify the parameters\"}.",
        spec("spec §2.3, §9 rule 30"),
        |ctx| {
            let req = ctx.dir_req(&DirQuery::of("invalid").text("invalid channel"), &[]);
            ctx.expect_400_containing(req, "Please verify the parameters").map(drop)
        },
    ));
    out.push(check(
        "directory/workspace/local-is-default",
        Level::Must,
        Needs::CREDENTIALS,
        "When type is users you can send an additional workspace field, that can be local (default) or all.",
        DIRECTORY_SEED,
        |ctx| {
            let local = ctx.directory(&DirQuery::of("users").workspace("local"), &[("count", "100")])?;
            let default = ctx.directory(&DirQuery::of("users"), &[("count", "100")])?;
            same_answer(&local, &default, "workspace=local", "no workspace")
        },
    ));
    out.push(check(
        "directory/workspace/all-includes-local",
        Level::Should,
        Needs::CREDENTIALS,
        "workspace=all lists all active users (federated ones too when federation is enabled; as local otherwise): every local user is in it.",
        spec("spec §2.3, §2.8, §10"),
        |ctx| {
            let q_local = DirQuery::of("users").workspace("local");
            let q_all = DirQuery::of("users").workspace("all");
            let (Some((local, _)), Some((all, _))) = (ctx.list_all(&q_local, 100, 20)?, ctx.list_all(&q_all, 100, 20)?) else {
                return Err(Verdict::Skip("more than 2000 users: too many to compare".into()));
            };
            let all: HashSet<String> = ids_of(&all).into_iter().collect();
            let missing: Vec<String> = ids_of(&local).into_iter().filter(|id| !all.contains(id)).collect();
            ensure(missing.is_empty(), "local users are missing from workspace=all", "every local user", format!("missing {missing:?}"))
        },
    ));
    out.push(check(
        "directory/workspace/unknown-is-local",
        Level::Should,
        Needs::CREDENTIALS,
        "workspace: anything other than all or external behaves as local.",
        spec("spec §2.3"),
        |ctx| {
            let local = ctx.directory(
                &DirQuery::of("users").workspace("local"),
                &[("count", "100")],
            )?;
            let other = ctx.directory(
                &DirQuery::of("users").workspace("conformance-unknown"),
                &[("count", "100")],
            )?;
            same_answer(
                &local,
                &other,
                "workspace=local",
                "workspace=conformance-unknown",
            )
        },
    ));

    out.push(check(
        "directory/workspace/local-excludes-federated",
        Level::Should,
        Needs::CREDENTIALS,
        "workspace can be local (default) or all; all searches users from federated servers too: workspace=local (asked or by default) never lists a federated user (one with a federation field).",
        spec("spec §2.3, §2.8"),
        |ctx| {
            for q in [DirQuery::of("users").workspace("local"), DirQuery::of("users")] {
                let Some((items, _)) = ctx.list_all(&q, 100, 20)? else {
                    return Err(Verdict::Skip("more than 2000 users: too many to list".into()));
                };
                for item in &items {
                    ensure(
                        item.get("federation").is_none_or(Value::is_null),
                        format!("workspace {:?} lists a federated user", q.workspace.as_deref().unwrap_or("(default)")),
                        "only local users (no \"federation\")",
                        snippet(&item.to_string(), 300),
                    )?;
                }
            }
            Ok(())
        },
    ));
    out.push(check(
        "directory/channels/private-group-only-for-members",
        Level::Should,
        Needs::SECOND_USER,
        "Channels list public channels and every room the caller is in, private groups too; never a private group the caller is not in. Checked with a private group the caller creates (groups.create) and deletes.",
        spec("spec §2.6, §9 rule 39"),
        private_group_only_for_members,
    ));

    // ----- pagination ----------------------------------------------------------------------
    out.push(check(
        "directory/pagination/count-limits-items",
        Level::Must,
        Needs::CREDENTIALS,
        "It supports the pagination parameters (example: count=1 returns one item, \"count\": 1, with total counting every match).",
        DIRECTORY_SEED,
        |ctx| {
            let all = ctx.directory(&DirQuery::of("users"), &[])?;
            let one = ctx.directory(&DirQuery::of("users"), &[("count", "1")])?;
            check_envelope(&one, 0)?;
            let want = all.total.min(1);
            ensure(one.result.len() as i64 == want, "count=1 must return at most one item", format!("{want} item(s)"), format!("{} items", one.result.len()))
        },
    ));
    out.push(check(
        "directory/pagination/offset-skips-and-is-echoed",
        Level::Must,
        Needs::CREDENTIALS,
        "It supports the pagination parameters (example: offset=2 skips two matches and the answer says \"offset\": 2).",
        DIRECTORY_SEED,
        |ctx| {
            let first = ctx.directory(&DirQuery::of("users"), &[("count", "4")])?;
            let later = ctx.directory(&DirQuery::of("users"), &[("count", "2"), ("offset", "2")])?;
            check_envelope(&later, 2)?;
            let want: Vec<String> = first.ids().into_iter().skip(2).take(2).collect();
            ensure(later.ids() == want, "offset=2&count=2 must give the third and fourth items of the same search", format!("{want:?}"), format!("{:?}", later.ids()))
        },
    ));
    out.push(check(
        "directory/pagination/total-ignores-paging",
        Level::Must,
        Needs::CREDENTIALS,
        "total is the number of matches regardless of count and offset (example: count 1, offset 2, total 4).",
        DIRECTORY_SEED,
        |ctx| {
            let all = ctx.directory(&DirQuery::of("users"), &[])?;
            for (count, offset) in [("1", "0"), ("1", "1"), ("2", "3")] {
                let page = ctx.directory(&DirQuery::of("users"), &[("count", count), ("offset", offset)])?;
                ensure(
                    page.total == all.total,
                    format!("count={count}&offset={offset} changed total"),
                    format!("\"total\": {}", all.total),
                    format!("\"total\": {}", page.total),
                )?;
            }
            Ok(())
        },
    ));
    for kind in ["users", "channels"] {
        out.push(check(
            format!("directory/pagination/pages-cover-{kind}-once"),
            Level::Must,
            Needs::CREDENTIALS,
            "Paging with count and offset through every page yields every match exactly once, and their number is total.",
            DIRECTORY_SEED,
            move |ctx| pages_cover_once(ctx, kind),
        ));
    }
    out.push(check(
        "directory/pagination/beyond-the-end-is-empty",
        Level::Should,
        Needs::CREDENTIALS,
        "An offset past the last match gives result [], count 0, and total unchanged.",
        spec("spec §2.4, §9 rule 42"),
        |ctx| {
            let all = ctx.directory(&DirQuery::of("users"), &[])?;
            let offset = (all.total + 5).to_string();
            let past = ctx.directory(&DirQuery::of("users"), &[("offset", &offset)])?;
            ensure(
                past.result.is_empty()
                    && past.count == 0
                    && past.total == all.total
                    && past.offset == all.total + 5,
                "an offset beyond the end",
                format!("result [], count 0, offset {offset}, total {}", all.total),
                format!(
                    "{} items, count {}, offset {}, total {}",
                    past.result.len(),
                    past.count,
                    past.offset,
                    past.total
                ),
            )
        },
    ));
    out.push(check(
        "directory/pagination/default-count",
        Level::Should,
        Needs::CREDENTIALS,
        "No count: API_Default_Count (50) items at most. With test control the setting is lowered below the number of users so that the rule shows.",
        spec("spec §2.4, §9 rule 41"),
        |ctx| {
            let total = ctx.directory(&DirQuery::of("users"), &[])?.total;
            let mut default = ctx.settings().default_count();
            if ctx.session.test_control && total >= 2 && total <= default {
                default = total - 1;
                ctx.patch_settings(json!({ "API_Default_Count": default }))?;
            }
            let a = ctx.directory(&DirQuery::of("users"), &[])?;
            note_indecisive(ctx, total, default);
            let want = total.min(default);
            ensure(a.result.len() as i64 == want, format!("no count: API_Default_Count={default}"), format!("{want} items"), format!("{} items", a.result.len()))
        },
    ));
    out.push(check(
        "directory/pagination/count-clamped-to-upper-limit",
        Level::Should,
        Needs::CREDENTIALS,
        "count > API_Upper_Count_Limit (100) is clamped to it. With test control the limit is lowered below the number of users so that the rule shows.",
        spec("spec §2.4, §9 rule 41"),
        |ctx| {
            let total = ctx.directory(&DirQuery::of("users"), &[])?.total;
            let mut upper = ctx.settings().upper_count_limit();
            if ctx.session.test_control && total >= 2 && total <= upper {
                upper = total - 1;
                ctx.patch_settings(json!({ "API_Upper_Count_Limit": upper }))?;
            }
            let asked = (upper + 50).to_string();
            let a = ctx.directory(&DirQuery::of("users"), &[("count", &asked)])?;
            note_indecisive(ctx, total, upper);
            let want = total.min(upper);
            ensure(a.result.len() as i64 == want, format!("count={asked} with API_Upper_Count_Limit={upper}"), format!("{want} items"), format!("{} items", a.result.len()))
        },
    ));
    for (name, count) in [
        ("zero-count-gives-at-most-10", "0"),
        ("negative-count-gives-at-most-10", "-5"),
    ] {
        out.push(check(
            format!("directory/pagination/{name}"),
            Level::Should,
            Needs::CREDENTIALS,
            "count=0 or a negative count: browseChannels uses limit > 0 ? limit : 10, so at most 10 items (not unlimited).",
            spec("spec §2.4, §9 rule 41"),
            move |ctx| {
                let total = ctx.directory(&DirQuery::of("users"), &[])?.total;
                let a = ctx.directory(&DirQuery::of("users"), &[("count", count)])?;
                note_indecisive(ctx, total, 10);
                let want = total.min(10);
                ensure(a.result.len() as i64 == want, format!("count={count}"), format!("{want} items"), format!("{} items", a.result.len()))?;
                ensure(a.count == a.result.len() as i64, "count must be the number of items returned", format!("\"count\": {}", a.result.len()), format!("\"count\": {}", a.count))
            },
        ));
    }
    out.push(check(
        "directory/pagination/negative-offset-is-echoed-and-skips-nothing",
        Level::Should,
        Needs::CREDENTIALS,
        "offset=-3: skip Math.max(0, offset) = 0, but the response's offset echoes the parsed value -3.",
        spec("spec §2.4, §9 rule 42"),
        |ctx| {
            let zero = ctx.directory(&DirQuery::of("users"), &[("count", "5")])?;
            let neg = ctx.directory(&DirQuery::of("users"), &[("count", "5"), ("offset", "-3")])?;
            ensure(neg.offset == -3, "a negative offset is echoed", "\"offset\": -3", format!("\"offset\": {}", neg.offset))?;
            ensure(neg.ids() == zero.ids(), "a negative offset skips nothing", format!("{:?}", zero.ids()), format!("{:?}", neg.ids()))
        },
    ));

    // ----- text ----------------------------------------------------------------------------
    out.push(check(
        "directory/text/users-match-case-insensitive-substring",
        Level::Should,
        Needs::CREDENTIALS,
        "Users: new RegExp(escapeRegExp(text), 'i') over the Accounts_SearchFields fields (default username, name, bio, nickname): a case-insensitive substring; the user whose name gave the text is found.",
        spec("spec §2.8, §9 rule 36"),
        |ctx| text_matches(ctx, "users", "username"),
    ));
    out.push(check(
        "directory/text/channels-match-case-insensitive-substring",
        Level::Should,
        Needs::CREDENTIALS,
        "Channels: a case-insensitive substring of name or fname (not topic or description); the channel whose name gave the text is found.",
        spec("spec §2.6, §9 rule 36"),
        |ctx| text_matches(ctx, "channels", "name"),
    ));
    out.push(check(
        "directory/text/regex-metacharacters-are-literal",
        Level::Should,
        Needs::CREDENTIALS,
        "searchTerm = escapeRegExp(text): regex metacharacters match literally (and never break the search).",
        spec("spec §2.6, §2.8, §9 rule 36"),
        metacharacters_literal,
    ));
    out.push(check(
        "directory/text/surrounding-whitespace-is-trimmed",
        Level::Should,
        Needs::CREDENTIALS,
        "The search text is trimmed: \"  x  \" searches for x.",
        spec("spec §2.6, §2.8"),
        |ctx| {
            let Some((needle, _)) = pick_needle(ctx, "users", "username")? else {
                return Err(Verdict::Skip(
                    "no user with a username of 3 characters or more".into(),
                ));
            };
            let plain = ctx.directory(&DirQuery::of("users").text(&needle), &[("count", "100")])?;
            let padded = ctx.directory(
                &DirQuery::of("users").text(&format!("  {needle}  ")),
                &[("count", "100")],
            )?;
            same_answer(
                &plain,
                &padded,
                &format!("text {needle:?}"),
                &format!("text {:?}", format!("  {needle}  ")),
            )
        },
    ));
    out.push(check(
        "directory/text/whitespace-only-matches-everything",
        Level::Should,
        Needs::CREDENTIALS,
        "Whitespace-only text is the same as no text, for every type.",
        spec("spec §10"),
        |ctx| {
            for kind in ["users", "channels"] {
                let none = ctx.directory(&DirQuery::of(kind), &[("count", "100")])?;
                let blank = ctx.directory(&DirQuery::of(kind).text("   "), &[("count", "100")])?;
                same_answer(
                    &none,
                    &blank,
                    &format!("type {kind}, no text"),
                    &format!("type {kind}, text \"   \""),
                )?;
            }
            Ok(())
        },
    ));

    // ----- sort ----------------------------------------------------------------------------
    out.push(check(
        "directory/sort/default-is-name-descending",
        Level::Should,
        Needs::CREDENTIALS,
        "No sort: sortBy 'name', sortDirection 'desc' (channels and teams: featured ones first); byte order.",
        spec("spec §2.5, §9 rule 34"),
        |ctx| {
            for kind in ["users", "channels"] {
                let a = ctx.directory(&DirQuery::of(kind), &[("count", "100")])?;
                check_name_order(&a.result, true, kind == "channels")?;
            }
            Ok(())
        },
    ));
    out.push(check(
        "directory/sort/name-ascending",
        Level::Should,
        Needs::CREDENTIALS,
        "sort={\"name\":1} orders by name ascending (channels: featured first); byte order.",
        spec("spec §2.5"),
        |ctx| {
            for kind in ["users", "channels"] {
                let a = ctx.directory(
                    &DirQuery::of(kind),
                    &[("count", "100"), ("sort", r#"{"name":1}"#)],
                )?;
                check_name_order(&a.result, false, kind == "channels")?;
            }
            Ok(())
        },
    ));
    out.push(check(
        "directory/sort/two-keys-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "sort with two keys: 400 {success:false, error:\"This method support only one \\\"sort\\\" parameter\"}.",
        spec("spec §2.5, §9 rule 31"),
        |ctx| {
            let req = ctx.dir_req(&DirQuery::of("channels"), &[("sort", r#"{"name":1,"usersCount":1}"#)]);
            ctx.expect_400_containing(req, r#"This method support only one "sort" parameter"#).map(drop)
        },
    ));
    for (name, sort) in [
        ("invalid-json-is-400", "{name:1"),
        ("value-not-one-is-400", r#"{"name":2}"#),
    ] {
        out.push(check(
            format!("directory/sort/{name}"),
            Level::Should,
            Needs::CREDENTIALS,
            "sort not valid JSON, or a value not ±1: 400 errorType \"error-invalid-sort\", error `Invalid sort parameter provided: \"<raw>\" [error-invalid-sort]`.",
            spec("spec §2.5, §9 rule 32"),
            move |ctx| {
                let req = ctx.dir_req(&DirQuery::of("users"), &[("sort", sort)]);
                ctx.expect_error(req, &Auth::Caller, 400, "\"errorType\": \"error-invalid-sort\"", |m| {
                    m.get("errorType").and_then(Value::as_str) == Some("error-invalid-sort") || error_text(m).contains("[error-invalid-sort]")
                })
                .map(drop)
            },
        ));
    }
    out.push(check(
        "directory/sort/disallowed-key-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "sort on a field outside the allowed list: browseChannels returns undefined, 400 \"Please verify the parameters\".",
        spec("spec §2.5, §9 rule 33"),
        |ctx| {
            let req = ctx.dir_req(&DirQuery::of("users"), &[("sort", r#"{"conformanceNoSuchField":1}"#)]);
            ctx.expect_400_containing(req, "Please verify the parameters").map(drop)
        },
    ));

    // ----- parameters ----------------------------------------------------------------------
    for (form, level, source, id) in [
        (
            DirectoryForm::Query,
            Level::Must,
            DIRECTORY_SEED,
            "directory/params/query-form",
        ),
        (
            DirectoryForm::TopLevel,
            Level::Should,
            spec("spec §2.1, §2.3"),
            "directory/params/top-level-form",
        ),
    ] {
        out.push(check(
            id,
            level,
            Needs::CREDENTIALS,
            if form == DirectoryForm::Query {
                "Payload: query {\"text\": \"rocket\", \"type\": \"users\", \"workspace\": \"local\"}: the JSON query selects the type and filters by text."
            } else {
                "7.0+: top-level text, type and workspace select the type and filter by text."
            },
            source,
            move |ctx| forms_work(ctx, form),
        ));
    }
    out.push(check(
        "directory/params/count-not-a-number-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "count=abc: 400 \"must be number\".",
        spec("spec §2.3, §9 rule 43"),
        |ctx| {
            let req = ctx.dir_req(&DirQuery::of("users"), &[("count", "abc")]);
            ctx.expect_400_containing(req, "must be number").map(drop)
        },
    ));
    out.push(check(
        "directory/params/unknown-is-400",
        Level::Should,
        Needs::CREDENTIALS,
        "Unknown params (page, fields, foo): 400 \"must NOT have additional properties\" (7.x+).",
        spec("spec §2.3, §9 rule 43"),
        |ctx| {
            let req = ctx.dir_req(&DirQuery::of("users"), &[("foo", "1")]);
            ctx.expect_400_containing(req, "must NOT have additional properties")
                .map(drop)
        },
    ));
    out.push(check(
        "directory/content-type/json",
        Level::Should,
        Needs::CREDENTIALS,
        "All responses are application/json: a success, a 400 and a 401.",
        spec("spec §9 rule 48"),
        |ctx| {
            let ok = ctx.dir_req(&DirQuery::of("users"), &[]);
            let bad = ctx.dir_req(&DirQuery::of("invalid"), &[]);
            for (req, auth) in [
                (ok, Auth::Caller),
                (bad, Auth::Caller),
                (Req::get(DIRECTORY), Auth::None),
            ] {
                let resp = ctx.send(req, &auth)?;
                let ct = resp.header("content-type").unwrap_or("(none)").to_owned();
                ensure(
                    is_json_media_type(&ct),
                    format!("the {} answer is not JSON-typed", resp.status),
                    "Content-Type: application/json",
                    format!("Content-Type: {ct}"),
                )?;
            }
            Ok(())
        },
    ));
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

/// `count` is the number of items, `offset` the one asked for, `total` at least `count`.
pub fn check_envelope(a: &DirAnswer, offset: i64) -> Result<(), Verdict> {
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

/// Field types per the seed examples (never null), required keys, and no key of the other kind.
pub fn check_items(items: &[Value], kind: Kind) -> Result<(), Verdict> {
    let (types, required, foreign): (_, &[&str], &[&str]) = match kind {
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
    };
    for item in items {
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
    }
    Ok(())
}

fn only_keys(items: &[Value], allowed: &[&str]) -> Result<(), Verdict> {
    for item in items {
        if let Value::Object(m) = item {
            let extra: Vec<&String> = m
                .keys()
                .filter(|k| !allowed.contains(&k.as_str()))
                .collect();
            ensure(
                extra.is_empty(),
                format!(
                    "item {} has keys outside the projection",
                    show(m.get("_id"))
                ),
                format!("keys among {allowed:?}"),
                format!("also {extra:?}"),
            )?;
        }
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
        check_envelope(&a, offset)?;
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

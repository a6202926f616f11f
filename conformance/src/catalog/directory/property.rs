//! `directory/property/…`: properties of paging, text matching and bad input, drawn and shrunk
//! by proptest.

use super::*;
use crate::catalog::properties::{malformed_params_check, run_property};

use proptest::prelude::*;
use serde_json::Value;

pub(super) fn add(out: &mut Vec<Check>) {
    out.push(check(
        "directory/property/pagination-invariants",
        Level::Should,
        Needs::CREDENTIALS,
        "For any count and offset: count = items returned, offset echoed, total unchanged, and the items are the slice [max(offset,0), +limit) of the full listing, limit = count clamped to API_Upper_Count_Limit, 10 when ≤ 0, API_Default_Count when absent.",
        &["directory.pagination", "directory.pagination.default-count", "directory.pagination.upper-limit", "directory.pagination.non-positive-count", "directory.pagination.negative-offset", "directory.pagination.beyond-end"],
        pagination_invariants,
    )
    .shares(Sharing::READS_DATA)
    .long());
    out.push(check(
        "directory/property/text-matches-literally",
        Level::Should,
        Needs::CREDENTIALS,
        "Any substring of a name on the target, in any case, with regex metacharacters, only returns items containing it (case-insensitively) in a search field; without metacharacters, the item it came from is found.",
        &["directory.text.literal", "directory.text.match"],
        text_matches_literally,
    )
    .shares(Sharing::READS_DATA)
    .long());
    out.push(malformed_params_check("directory", DIRECTORY));
}

pub(super) fn pagination_invariants(ctx: &mut Ctx) -> Result<(), Verdict> {
    let q = DirQuery::of("users");
    let Some((baseline, total)) = ctx.list_all(&q, 100, 10)? else {
        return Err(Verdict::Skip(
            "more than 1000 users: the baseline listing is too long".into(),
        ));
    };
    let ids = ids_of(&baseline);
    let settings = ctx.settings();
    let (default, upper) = (settings.default_count(), settings.upper_count_limit());
    let count = prop_oneof![
        Just(None),
        prop::sample::select(vec![
            0i64, -1, -20, 1, 9, 10, 11, 49, 50, 51, 99, 100, 101, 1000
        ])
        .prop_map(Some),
        (-30i64..130).prop_map(Some),
    ];
    let offset = prop_oneof![Just(None), (-5i64..=total + 5).prop_map(Some)];
    run_property(ctx, (count, offset), move |ctx, (count, offset)| {
        let mut extra: Vec<(String, String)> = Vec::new();
        if let Some(c) = count {
            extra.push(("count".into(), c.to_string()));
        }
        if let Some(o) = offset {
            extra.push(("offset".into(), o.to_string()));
        }
        let params: Vec<(&str, &str)> = extra
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let a = ctx.directory(&q, &params)?;
        page_arithmetic(&a, offset.unwrap_or(0))?;
        let limit = match count {
            None => default,
            Some(c) if *c <= 0 => 10,
            Some(c) => (*c).min(upper),
        };
        let skip = offset.unwrap_or(0).max(0) as usize;
        let want: Vec<String> = ids
            .iter()
            .skip(skip)
            .take(limit.max(0) as usize)
            .cloned()
            .collect();
        if a.total != total || a.ids() != want {
            return Err(Verdict::fail(
                format!("count={count:?} offset={offset:?}: not the expected slice"),
                format!("total {total}, ids {want:?}"),
                format!("total {}, ids {:?}", a.total, a.ids()),
            ));
        }
        Ok(())
    })
}

#[derive(Debug, Clone)]
struct TextCase {
    kind: &'static str,
    item: String,
    source: String,
    needle: String,
    has_metachar: bool,
}

pub(super) fn text_matches_literally(ctx: &mut Ctx) -> Result<(), Verdict> {
    let sources = name_sources(ctx)?;
    let strategy = text_cases(sources);
    run_property(ctx, strategy, |ctx, case| {
        let fields = search_fields(ctx, case.kind);
        let a = ctx.directory(
            &DirQuery::of(case.kind).text(&case.needle),
            &[("count", "100")],
        )?;
        for item in &a.result {
            if !item_matches(item, &case.needle, &fields) {
                return Err(Verdict::fail(
                    format!("text {:?} returned an item without it", case.needle),
                    format!(
                        "items containing {:?} (any case) in {fields:?}",
                        case.needle.trim()
                    ),
                    snippet(&item.to_string(), 300),
                ));
            }
        }
        let literal_in_source = case
            .source
            .to_lowercase()
            .contains(&case.needle.trim().to_lowercase());
        if (!case.has_metachar || literal_in_source)
            && a.total <= a.result.len() as i64
            && !a.ids().contains(&case.item)
        {
            return Err(Verdict::fail(
                format!(
                    "text {:?}, taken from {:?}, did not find item {}",
                    case.needle, case.source, case.item
                ),
                format!("{} among the results", case.item),
                format!("{:?}", a.ids()),
            ));
        }
        Ok(())
    })
}

/// The names the target lists (users' `username` and `name`, channels' `name` and `fname`),
/// with their kind and item id: what the needles are cut from.
fn name_sources(ctx: &mut Ctx) -> Result<Vec<(&'static str, String, String)>, Verdict> {
    let mut sources: Vec<(&'static str, String, String)> = Vec::new();
    for (kind, fields) in [
        ("users", ["username", "name"]),
        ("channels", ["name", "fname"]),
    ] {
        let a = ctx.directory(&DirQuery::of(kind), &[("count", "100")])?;
        for item in &a.result {
            let id = item
                .get("_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            for f in fields {
                if let Some(s) = item.get(f).and_then(Value::as_str) {
                    if !s.trim().is_empty() {
                        sources.push((kind, id.clone(), s.to_owned()));
                    }
                }
            }
        }
    }
    if sources.is_empty() {
        return Err(Verdict::Skip("the target lists no names".into()));
    }
    Ok(sources)
}

/// Needles cut from a listed name, their case flipped at random, sometimes with a regular
/// expression metacharacter inserted.
fn text_cases(sources: Vec<(&'static str, String, String)>) -> impl Strategy<Value = TextCase> {
    let metas: Vec<char> = METACHARACTERS.chars().collect();
    (
        prop::sample::select(sources),
        any::<prop::sample::Index>(),
        1usize..6,
        any::<u32>(),
        prop::option::of((any::<prop::sample::Index>(), prop::sample::select(metas))),
    )
        .prop_map(|((kind, item, source), start, len, mask, meta)| {
            let chars: Vec<char> = source.chars().collect();
            let start = start.index(chars.len());
            let end = (start + len).min(chars.len());
            let mut needle: Vec<char> =
                flip_case(&chars[start..end].iter().collect::<String>(), |i| {
                    mask & (1 << (i % 32)) != 0
                })
                .chars()
                .collect();
            let has_metachar = meta.is_some();
            if let Some((pos, c)) = meta {
                needle.insert(pos.index(needle.len() + 1), c);
            }
            TextCase {
                kind,
                item,
                source,
                needle: needle.into_iter().collect(),
                has_metachar,
            }
        })
}

/*!
Differential mode (`--compare-with URL`): the catalog runs against the target and against
another live server (a real Rocket.Chat of the version the target follows, or another build of
the target) with the same seed, and every answer of one is compared with the other's answer to
the same request. Where the suite's own reading of the documents is wrong or silent, the other
server still speaks: a difference is a [`Divergence`], reported with both answers side by side
and with the side the suite's model agrees with.

What is compared, per check: the verdicts; then the requests the check sent, one by one (method
and path; the query and body carry each server's ids and names; clean-up and test-control
requests, the suite's harness, are left out); for each pair of answers the status, the media
type and the codes (`success`, `errorType`); and over all the answers to one request, every
field's presence and JSON types by path. Other values are not compared: ids, tokens, names and
instants differ by nature between two servers. A field counts as missing on one side only when
that side never sends it while every object it belongs to on the other side has it: an optional
field that one server's data has more often is no divergence, a field a server never sends is.
The model-based runs' answers are also compared by value, read through the sequences' own names
(`Sequences`): which of them a list holds, their fields, totals, and the order a sort decides.

A divergence id names the check, the request and the aspect, never a position or a value
(`directory/pagination/total-ignores-paging@GET:/api/v1/directory:type:total`), so an
`--allow-divergence` file stays valid across runs and seeds.
*/

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::runner::Report;
use crate::vocabulary::{CheckResult, Exchange, Status};

/// Which server a value or an agreement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The server under test (`--url`).
    Target,
    /// The server it is compared with (`--compare-with`).
    Other,
}

/// One way the two servers answered differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// Stable: `<check-id>@<METHOD>:<path>:<aspect>`, or `<check-id>:<aspect>` for the verdict
    /// and the requests.
    pub id: String,
    pub check: String,
    /// The contract rules the check enforces.
    pub rules: Vec<String>,
    /// What differs: `verdict`, `requests`, `status`, `media-type`, `value:<field>` (a code:
    /// `success`, `errorType`), `type:<path>` (the JSON types of a field), `field:<path>` (a
    /// field one side has and the other has not).
    pub aspect: String,
    /// The request, as `METHOD path` (none for the verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// What the target gave, and what the other server gave.
    pub target: String,
    pub other: String,
    /// Which side the suite's own model agrees with, where the verdicts tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_agrees_with: Option<Side>,
    /// How many exchanges of the check showed it.
    pub occurrences: usize,
    /// The reason from `--allow-divergence`, when the difference is accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    /// In a model-based run: the sequence whose answers first showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<usize>,
    /// In a model-based run: the smallest sequence that still shows a divergence on the two
    /// servers, re-checked on both, as numbered REST calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimal_sequence: Option<String>,
    /// A bash script (curl and jq) that runs the minimal sequence against `URL`: run it against
    /// each server and compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay_script: Option<String>,
    /// The curl lines of the first pair of requests that showed it (secrets as variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_curl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_curl: Option<String>,
    /// The two answers of that pair, side by side: status line and body (cut after a few
    /// kilobytes, secrets redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_answer: Option<String>,
}

/// An exchange's answer as a divergence shows it.
fn answer_text(x: &Exchange) -> String {
    match (x.status, &x.error) {
        (Some(status), _) => format!("{status} {}", crate::http::snippet(&x.response_body, 2000)),
        (None, Some(e)) => format!("no answer: {e}"),
        (None, None) => "no answer".into(),
    }
}

/// The divergences between the target's run and the other server's run, in catalog order; those
/// listed in `allowed` carry its reason.
pub fn compare(
    target: &Report,
    other: &Report,
    allowed: &BTreeMap<String, String>,
) -> Vec<Divergence> {
    let others: BTreeMap<&str, &CheckResult> =
        other.results.iter().map(|r| (r.id.as_str(), r)).collect();
    let prefix = |r: &Report| r.managed.as_ref().map(|m| m.prefix.clone());
    let prefixes = prefix(target).zip(prefix(other));
    let mut out = Vec::new();
    for t in &target.results {
        if let Some(o) = others.get(t.id.as_str()) {
            let start = out.len();
            compare_check(t, o, prefixes.as_ref(), &mut out);
            // Where one side passed and the other did not, the model sides with the one that
            // passed on every difference of that check.
            let agrees = match (t.status, o.status) {
                (Status::Pass, Status::Fail | Status::Error) => Some(Side::Target),
                (Status::Fail | Status::Error, Status::Pass) => Some(Side::Other),
                _ => None,
            };
            for d in &mut out[start..] {
                d.model_agrees_with = agrees;
            }
        }
    }
    for d in &mut out {
        d.allowed = allowed.get(&d.id).cloned();
    }
    out
}

/// Whether a result's requests say anything: checks that did not run on both sides are not
/// compared beyond their verdicts.
fn ran(r: &CheckResult) -> bool {
    matches!(r.status, Status::Pass | Status::Fail | Status::Error)
}

fn compare_check(
    t: &CheckResult,
    o: &CheckResult,
    prefixes: Option<&(String, String)>,
    out: &mut Vec<Divergence>,
) {
    let blank = |aspect: &str, request: Option<String>, target: String, other: String| Divergence {
        id: match &request {
            Some(r) => format!("{}@{}:{aspect}", t.id, r.replacen(' ', ":", 1)),
            None => format!("{}:{aspect}", t.id),
        },
        check: t.id.clone(),
        rules: t.rules.clone(),
        aspect: aspect.to_owned(),
        request,
        target,
        other,
        model_agrees_with: None,
        occurrences: 1,
        allowed: None,
        sequence: None,
        minimal_sequence: None,
        replay_script: None,
        target_curl: None,
        other_curl: None,
        target_answer: None,
        other_answer: None,
    };
    if t.status != o.status {
        out.push(blank("verdict", None, verdict_text(t), verdict_text(o)));
    }
    if !ran(t) || !ran(o) {
        return;
    }
    // Clean-up and test control are the suite's harness, not the API compared (and which of
    // several checks sharing a stop of the clock sends its requests is a matter of timing).
    let sent = |r: &CheckResult| -> Vec<Exchange> {
        r.exchanges
            .iter()
            .filter(|x| !x.cleanup && !request_of(x).contains(" /test-control/"))
            .cloned()
            .collect()
    };
    let (ts, os) = (sent(t), sent(o));
    let mut found: BTreeMap<String, Divergence> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut note = |d: Divergence, tx: &Exchange, ox: &Exchange| match found.get_mut(&d.id) {
        Some(seen) => seen.occurrences += 1,
        None => {
            order.push(d.id.clone());
            found.insert(
                d.id.clone(),
                Divergence {
                    target_curl: Some(tx.curl.clone()),
                    other_curl: Some(ox.curl.clone()),
                    target_answer: Some(answer_text(tx)),
                    other_answer: Some(answer_text(ox)),
                    sequence: tx.sequence,
                    ..d
                },
            );
        }
    };
    let mut sequences = Sequences::default();
    // The fields of every answer to one request, on each side, with the first pair of them.
    let mut shapes: BTreeMap<String, (Shape, Shape, usize)> = BTreeMap::new();
    let mut parted = false;
    for (n, (tx, ox)) in ts.iter().zip(&os).enumerate() {
        let (tr, or) = (request_of(tx), request_of(ox));
        if tr != or {
            out.push(blank(
                "requests",
                None,
                format!("request {} was {tr}", n + 1),
                format!("request {} was {or}", n + 1),
            ));
            parted = true;
            break;
        }
        for (aspect, target, other) in answer_differences(tx, ox) {
            note(blank(&aspect, Some(tr.clone()), target, other), tx, ox);
        }
        if let (Some(prefixes), true) = (prefixes, t.id.ends_with("/model-based-run")) {
            for (aspect, target, other) in sequences.values(tx, ox, prefixes) {
                note(blank(&aspect, Some(tr.clone()), target, other), tx, ox);
            }
        }
        let (t_shape, o_shape, _) = shapes
            .entry(tr)
            .or_insert_with(|| (Shape::default(), Shape::default(), n));
        t_shape.add(&tx.response_body);
        o_shape.add(&ox.response_body);
    }
    for (request, (t_shape, o_shape, first)) in &shapes {
        for (aspect, target, other) in t_shape.differences(o_shape) {
            note(
                blank(&aspect, Some(request.clone()), target, other),
                &ts[*first],
                &os[*first],
            );
        }
    }
    out.extend(order.iter().filter_map(|id| found.remove(id)));
    if ts.len() != os.len() && !parted {
        out.push(blank(
            "requests",
            None,
            format!("{} requests", ts.len()),
            format!("{} requests", os.len()),
        ));
    }
}

fn verdict_text(r: &CheckResult) -> String {
    match &r.message {
        Some(m) => format!("{}: {}", r.status, crate::http::snippet(m, 300)),
        None => r.status.to_string(),
    }
}

/// `METHOD path`, the query left out (it carries each server's ids and names).
fn request_of(x: &Exchange) -> String {
    let path = x
        .url
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]))
        .unwrap_or(&x.url);
    let path = path.split(['?', '#']).next().unwrap_or(path);
    format!("{} {path}", x.method)
}

fn media_type(x: &Exchange) -> String {
    x.response_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|| "(none)".into())
}

/// The aspects in which two answers to the same request differ on their own: the status and
/// the media type, as (aspect, target, other). Fields are compared over all the answers to a
/// request ([`Shape`]).
fn answer_differences(t: &Exchange, o: &Exchange) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let status = |x: &Exchange| match (x.status, &x.error) {
        (Some(s), _) => s.to_string(),
        (None, Some(e)) => format!("no answer ({})", crate::http::snippet(e, 120)),
        (None, None) => "no answer".into(),
    };
    if status(t) != status(o) {
        out.push(("status".into(), status(t), status(o)));
    }
    let (tm, om) = (media_type(t), media_type(o));
    if tm != om {
        out.push(("media-type".into(), tm, om));
    }
    // Values that are codes rather than data: the same on any two servers that agree.
    let (tj, oj) = (
        serde_json::from_str::<Value>(&t.response_body).unwrap_or(Value::Null),
        serde_json::from_str::<Value>(&o.response_body).unwrap_or(Value::Null),
    );
    for field in CODES {
        let (tv, ov) = (tj.get(field), oj.get(field));
        if let (Some(tv), Some(ov)) = (tv, ov) {
            if tv != ov {
                out.push((format!("value:{field}"), tv.to_string(), ov.to_string()));
            }
        }
    }
    out
}

/// Top-level fields whose values are compared: codes, not data.
const CODES: [&str; 2] = ["success", "errorType"];

fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The JSON types of the fields of every answer to one request, by path (`users[].status`), and
/// how often each field was there: a field is missing on one side only when that side's answers
/// never have it, though they have the objects it belongs to, while every such object of the
/// other side has it. An optional field (a user's nickname, a team's `default`) that one
/// server's data happens to have more often is then no divergence; a field a server never sends
/// where the other always does is.
#[derive(Debug, Default)]
struct Shape {
    types: BTreeMap<String, BTreeSet<String>>,
    /// How many values each path had.
    present: BTreeMap<String, usize>,
    /// How many objects each path had (`$` for the answers themselves).
    objects: BTreeMap<String, usize>,
}

impl Shape {
    /// Adds an answer's body (nothing when it is not JSON).
    fn add(&mut self, body: &str) {
        if let Ok(v) = serde_json::from_str::<Value>(body) {
            self.walk("$", &v);
        }
    }

    fn walk(&mut self, path: &str, v: &Value) {
        self.types
            .entry(path.to_owned())
            .or_default()
            .insert(crate::shape::type_name(v).to_owned());
        *self.present.entry(path.to_owned()).or_default() += 1;
        match v {
            Value::Object(map) => {
                *self.objects.entry(path.to_owned()).or_default() += 1;
                for (k, child) in map {
                    let p = if path == "$" {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.walk(&p, child);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(&format!("{path}[]"), item);
                }
            }
            _ => {}
        }
    }

    /// The path of the object a field belongs to.
    fn parent(path: &str) -> &str {
        path.rsplit_once('.').map_or("$", |(parent, _)| parent)
    }

    /// Whether every object the field belongs to had it (an array's items and the answer itself
    /// are no fields).
    fn always(&self, path: &str) -> bool {
        if path == "$" || path.ends_with("[]") {
            return false;
        }
        let objects = self.objects.get(Self::parent(path)).copied().unwrap_or(0);
        objects > 0 && self.present.get(path).copied().unwrap_or(0) >= objects
    }

    /// Whether this side had objects the field could belong to.
    fn could_have(&self, path: &str) -> bool {
        self.objects.get(Self::parent(path)).copied().unwrap_or(0) > 0
    }

    /// (aspect, target, other) for each field whose types differ, or that one side always has
    /// and the other never, though it has the objects it belongs to.
    fn differences(&self, other: &Shape) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for (path, t_types) in &self.types {
            match other.types.get(path) {
                Some(o_types) if o_types != t_types => {
                    out.push((format!("type:{path}"), join(t_types), join(o_types)))
                }
                Some(_) => {}
                None if self.always(path) && other.could_have(path) => {
                    out.push((format!("field:{path}"), "present".into(), "absent".into()))
                }
                None => {}
            }
        }
        for path in other.types.keys() {
            if !self.types.contains_key(path) && other.always(path) && self.could_have(path) {
                out.push((format!("field:{path}"), "absent".into(), "present".into()));
            }
        }
        out
    }
}

/// The model-based runs' answers compared by value: both sides ran the same sequences (same
/// seed) and asked the same queries in the same order, and each sequence's users, rooms and
/// teams carry the same names on both but for each run's prefix. An answer is read through
/// those names, and only the sequence's own entities count (others' come and go with timing).
#[derive(Debug, Default)]
struct Sequences {
    /// Each sequence's own names, the run's prefix left out (`p3-u1`).
    own: BTreeMap<usize, BTreeSet<String>>,
}

/// The fields of a user, room or team whose values the sequence decides.
const SEQUENCE_VALUES: [&str; 12] = [
    "username",
    "name",
    "fname",
    "nickname",
    "bio",
    "status",
    "statusText",
    "active",
    "t",
    "teamMain",
    "usersCount",
    "type",
];

impl Sequences {
    /// The value differences of one pair of exchanges (creations only add names).
    fn values(
        &mut self,
        t: &Exchange,
        o: &Exchange,
        (t_prefix, o_prefix): &(String, String),
    ) -> Vec<(String, String, String)> {
        let Some(sequence) = t.sequence.filter(|_| t.sequence == o.sequence) else {
            return Vec::new();
        };
        let request = request_of(t);
        if t.method == "POST" && request.ends_with(".create") {
            let body = t
                .request_body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Value>(b).ok());
            let name = body
                .as_ref()
                .and_then(|b| b.get("username").or_else(|| b.get("name")))
                .and_then(Value::as_str);
            if let Some(name) = name {
                self.own
                    .entry(sequence)
                    .or_default()
                    .insert(name.replace(t_prefix.as_str(), ""));
            }
            return Vec::new();
        }
        if t.method != "GET" || t.status != Some(200) || o.status != Some(200) {
            return Vec::new();
        }
        let (Ok(tj), Ok(oj)) = (
            serde_json::from_str::<Value>(&t.response_body),
            serde_json::from_str::<Value>(&o.response_body),
        ) else {
            return Vec::new();
        };
        let empty = BTreeSet::new();
        let own = self.own.get(&sequence).unwrap_or(&empty);
        let (list, scalars, complete) = if request.ends_with("/users.presence") {
            ("users", &["full"][..], true)
        } else if request.ends_with("/directory") {
            // A page of a larger result may hold other items of equal rank on each side.
            let whole = |v: &Value| {
                v.get("offset").and_then(Value::as_i64) == Some(0)
                    && v.get("count").and_then(Value::as_i64)
                        == v.get("total").and_then(Value::as_i64)
            };
            (
                "result",
                &["total", "count", "offset"][..],
                whole(&tj) && whole(&oj),
            )
        } else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for field in scalars {
            if let (Some(tv), Some(ov)) = (tj.get(field), oj.get(field)) {
                if tv != ov {
                    out.push((format!("value:{field}"), tv.to_string(), ov.to_string()));
                }
            }
        }
        let items = |v: &Value, prefix: &str| -> BTreeMap<String, Value> {
            v.get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|item| {
                    let key = item
                        .get("username")
                        .or_else(|| item.get("name"))
                        .and_then(Value::as_str)?
                        .replace(prefix, "");
                    own.contains(&key)
                        .then(|| (key, without_prefix(item, prefix)))
                })
                .collect()
        };
        let (ti, oi) = (items(&tj, t_prefix), items(&oj, o_prefix));
        if complete {
            let names = |m: &BTreeMap<String, Value>| m.keys().cloned().collect::<BTreeSet<_>>();
            if names(&ti) != names(&oi) {
                out.push((
                    format!("value:{list}"),
                    join(&names(&ti)),
                    join(&names(&oi)),
                ));
            } else if list == "result" {
                let field = sort_field(&t.url);
                let (tg, og) = (
                    ranks(&tj, list, &field, t_prefix, own),
                    ranks(&oj, list, &field, o_prefix, own),
                );
                if tg != og {
                    let show = |g: &Vec<BTreeSet<String>>| {
                        g.iter().map(join).collect::<Vec<_>>().join(" < ")
                    };
                    out.push((format!("order:{list}"), show(&tg), show(&og)));
                }
            }
        }
        for (key, tv) in &ti {
            let Some(ov) = oi.get(key) else { continue };
            for field in SEQUENCE_VALUES {
                let (a, b) = (tv.get(field), ov.get(field));
                if a != b {
                    let show =
                        |v: Option<&Value>| v.map_or("(absent)".to_owned(), Value::to_string);
                    out.push((
                        format!("value:{list}[].{field}"),
                        format!("{key}: {}", show(a)),
                        format!("{key}: {}", show(b)),
                    ));
                }
            }
        }
        out
    }
}

/// The field a directory query sorts by: its `sort` parameter's first key, else the default
/// (`name`).
fn sort_field(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "sort")
                .and_then(|(_, v)| serde_json::from_str::<serde_json::Map<String, Value>>(&v).ok())
                .and_then(|m| m.keys().next().cloned())
        })
        .unwrap_or_else(|| "name".into())
}

/// The sequence's own items of an answer's list in the answer's order, as groups of equal sort
/// value (ties may come in any order): the order the sort decides.
fn ranks(
    answer: &Value,
    list: &str,
    field: &str,
    prefix: &str,
    own: &BTreeSet<String>,
) -> Vec<BTreeSet<String>> {
    let mut groups: Vec<(Value, BTreeSet<String>)> = Vec::new();
    for item in answer
        .get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(key) = item
            .get("username")
            .or_else(|| item.get("name"))
            .and_then(Value::as_str)
            .map(|k| k.replace(prefix, ""))
            .filter(|k| own.contains(k))
        else {
            continue;
        };
        let rank = without_prefix(item.get(field).unwrap_or(&Value::Null), prefix);
        match groups.last_mut() {
            Some((last, keys)) if *last == rank => {
                keys.insert(key);
            }
            _ => groups.push((rank, BTreeSet::from([key]))),
        }
    }
    groups.into_iter().map(|(_, keys)| keys).collect()
}

/// A value with a run's prefix taken out of every string.
fn without_prefix(v: &Value, prefix: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(prefix, "")),
        Value::Array(items) => items.iter().map(|i| without_prefix(i, prefix)).collect(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), without_prefix(v, prefix)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The divergences that are not allowed.
pub fn unallowed(divergences: &[Divergence]) -> usize {
    divergences.iter().filter(|d| d.allowed.is_none()).count()
}

/// The run's exit code: 2 when either side could not be judged, else 1 when a divergence is
/// not allowed, else 0. The target's own verdicts do not count here: a rule both servers break
/// the same way is no divergence.
pub fn exit_code(target: &Report, other: &Report, divergences: &[Divergence]) -> i32 {
    use crate::runner::Outcome;
    if target.outcome == Outcome::NotJudged || other.outcome == Outcome::NotJudged {
        2
    } else if unallowed(divergences) > 0 {
        1
    } else {
        0
    }
}

fn model_text(d: &Divergence) -> &'static str {
    match d.model_agrees_with {
        Some(Side::Target) => "the suite's model agrees with the target",
        Some(Side::Other) => "the suite's model agrees with the other server",
        None if d.aspect == "verdict" => {
            "the suite's model agrees with neither, or the check was judged on one side only"
        }
        None => "the verdicts do not tell which side the suite's model agrees with",
    }
}

/// The console section: the other server's result, then every divergence with both answers.
pub fn console(other: &Report, divergences: &[Divergence]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nDIFFERENTIAL: compared with {} (version {}): {}",
        other.target.url,
        other.target.version.as_deref().unwrap_or("unknown"),
        crate::report::result_line(other)
    );
    let mut shown_sequence_of: Option<&str> = None;
    for d in divergences {
        let _ = writeln!(
            out,
            "\n{} {}{}",
            if d.allowed.is_some() {
                "ALLOWED"
            } else {
                "DIVERGES"
            },
            d.id,
            if d.occurrences > 1 {
                format!(" ({} exchanges)", d.occurrences)
            } else {
                String::new()
            }
        );
        if d.aspect == "verdict" {
            let _ = writeln!(out, "  {}", model_text(d));
        }
        let _ = writeln!(out, "  target: {}", d.target);
        let _ = writeln!(out, "  other:  {}", d.other);
        if let Some(reason) = &d.allowed {
            let _ = writeln!(out, "  allowed: {reason}");
        }
        if let (Some(t), Some(o)) = (&d.target_curl, &d.other_curl) {
            let _ = writeln!(out, "  target curl: {t}\n  other curl:  {o}");
        }
        if let (Some(t), Some(o)) = (&d.target_answer, &d.other_answer) {
            let _ = writeln!(
                out,
                "  target answered: {}\n  other answered:  {}",
                crate::http::snippet(t, 300),
                crate::http::snippet(o, 300)
            );
        }
        match &d.minimal_sequence {
            Some(_) if shown_sequence_of == Some(d.check.as_str()) => {
                let _ = writeln!(out, "  minimal sequence: as above");
            }
            Some(steps) => {
                shown_sequence_of = Some(&d.check);
                let _ = writeln!(
                    out,
                    "  minimal sequence (sequence {} of the run, shrunk on both servers):\n    {}",
                    d.sequence.unwrap_or_default(),
                    steps.replace('\n', "\n    ")
                );
                if d.replay_script.is_some() {
                    let _ = writeln!(
                        out,
                        "  replay it on each server with the script in the JSON report (replay_script), URL set to each"
                    );
                }
            }
            None => {}
        }
    }
    let _ = writeln!(
        out,
        "\n{} divergence(s), {} allowed",
        divergences.len(),
        divergences.len() - unallowed(divergences)
    );
    out
}

/// The JUnit test suite of the divergences: one failing case per divergence not allowed, a
/// skipped one per allowed divergence.
pub fn junit_suite(other: &Report, divergences: &[Divergence]) -> quick_junit::TestSuite {
    use quick_junit::{Property, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("divergences");
    suite.add_property(Property::new("compared-with", other.target.url.as_str()));
    suite.add_property(Property::new(
        "compared-version",
        other.target.version.as_deref().unwrap_or("unknown"),
    ));
    for d in divergences {
        let status = match &d.allowed {
            Some(reason) => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("allowed: {reason}"));
                s
            }
            None => {
                let mut s = TestCaseStatus::non_success(quick_junit::NonSuccessKind::Failure);
                s.set_message(format!("target: {} | other: {}", d.target, d.other));
                s.set_description(format!(
                    "{}\nrules: {}\ntarget curl: {}\nother curl: {}{}",
                    model_text(d),
                    d.rules.join(", "),
                    d.target_curl.as_deref().unwrap_or("-"),
                    d.other_curl.as_deref().unwrap_or("-"),
                    d.minimal_sequence
                        .as_deref()
                        .map(|m| format!("\nminimal sequence:\n{m}"))
                        .unwrap_or_default()
                ));
                s
            }
        };
        let mut case = TestCase::new(d.id.as_str(), status);
        case.set_classname("divergence");
        suite.add_test_case(case);
    }
    suite
}

/// The Markdown section for a CI job's page.
pub fn markdown(other: &Report, divergences: &[Divergence]) -> String {
    use std::fmt::Write;
    let cell = |s: &str| {
        crate::http::snippet(s, 200)
            .replace('|', "\\|")
            .replace('\n', " ")
    };
    let mut out = format!(
        "\n### Compared with {} (version {})\n\n{} divergence(s), {} allowed.\n",
        other.target.url,
        other.target.version.as_deref().unwrap_or("unknown"),
        divergences.len(),
        divergences.len() - unallowed(divergences)
    );
    if !divergences.is_empty() {
        out.push_str("\n| divergence | target | other | model agrees with |\n|---|---|---|---|\n");
        for d in divergences {
            let _ = writeln!(
                out,
                "| `{}`{} | {} | {} | {} |",
                d.id,
                if d.allowed.is_some() {
                    " (allowed)"
                } else {
                    ""
                },
                cell(&d.target),
                cell(&d.other),
                match d.model_agrees_with {
                    Some(Side::Target) => "target",
                    Some(Side::Other) => "other",
                    None => "–",
                }
            );
        }
    }
    let mut shown = BTreeSet::new();
    for d in divergences {
        if let (Some(steps), true) = (&d.minimal_sequence, shown.insert(d.check.as_str())) {
            let _ = write!(
                out,
                "\nMinimal sequence of `{}`, shrunk on both servers (its replay script is in the JSON report):\n\n```text\n{steps}\n```\n",
                d.check
            );
        }
    }
    out
}

/// The HTML section, put before the end of the target's HTML report.
pub fn html_section(other: &Report, divergences: &[Divergence]) -> String {
    use crate::html::escape;
    let mut out = format!(
        "<section id=\"divergences\"><h2>Compared with {} (version {}): {} divergence(s), {} allowed</h2><table><tr><th>divergence</th><th>target</th><th>other</th><th>model agrees with</th></tr>",
        escape(&other.target.url),
        escape(other.target.version.as_deref().unwrap_or("unknown")),
        divergences.len(),
        divergences.len() - unallowed(divergences)
    );
    for d in divergences {
        out.push_str(&format!(
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.id),
            d.allowed
                .as_ref()
                .map(|r| format!("<br>allowed: {}", escape(r)))
                .unwrap_or_default(),
            answer_cell(&d.target, d.target_answer.as_deref()),
            answer_cell(&d.other, d.other_answer.as_deref()),
            escape(model_text(d))
        ));
    }
    out.push_str("</table>");
    let mut shown = BTreeSet::new();
    for d in divergences {
        if let (Some(steps), true) = (&d.minimal_sequence, shown.insert(d.check.as_str())) {
            out.push_str(&format!(
                "<h3>Minimal sequence of <code>{}</code>, shrunk on both servers</h3><pre>{}</pre>",
                escape(&d.check),
                escape(steps)
            ));
        }
    }
    out.push_str("</section>");
    out
}

/// An HTML cell: what differs, and the whole answer folded under it.
fn answer_cell(differs: &str, answer: Option<&str>) -> String {
    use crate::html::escape;
    match answer {
        Some(a) => format!(
            "{}<details><summary>answer</summary><pre>{}</pre></details>",
            escape(differs),
            escape(a)
        ),
        None => escape(differs),
    }
}

/// The JSON report of both runs: the target's report with the other server's summary and the
/// divergences added.
pub fn json(target: &Report, other: &Report, divergences: &[Divergence]) -> String {
    let mut value = serde_json::to_value(target).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert(
            "compared_with".into(),
            serde_json::json!({
                "target": other.target,
                "outcome": other.outcome,
                "summary": other.summary,
                "seed": other.seed,
            }),
        );
        map.insert(
            "divergences".into(),
            serde_json::to_value(divergences).unwrap_or(Value::Null),
        );
        map.insert(
            "differential_exit_code".into(),
            exit_code(target, other, divergences).into(),
        );
    }
    serde_json::to_string_pretty(&value)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render: {e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Exchange {
        Exchange {
            method: "GET".into(),
            url: "http://127.0.0.1:1/api/v1/users.presence?from=x".into(),
            request_headers: vec![],
            request_body: None,
            status: Some(status),
            response_headers: vec![("content-type".into(), "application/json".into())],
            response_body: body.into(),
            error: None,
            duration_ms: 1,
            curl: "curl …".into(),
            cleanup: false,
            sequence: None,
        }
    }

    /// The field aspects in which the answers `t` and `o` (each side's answers to one request)
    /// differ.
    fn aspects(t: &[&str], o: &[&str]) -> Vec<String> {
        let shape = |bodies: &[&str]| {
            let mut s = Shape::default();
            bodies.iter().for_each(|b| s.add(b));
            s
        };
        shape(t)
            .differences(&shape(o))
            .into_iter()
            .map(|(a, _, _)| a)
            .collect()
    }

    #[test]
    fn values_differ_freely_but_types_and_keys_do_not() {
        assert!(aspects(
            &[r#"{"users":[{"_id":"a","status":"online"}],"full":true,"success":true}"#],
            &[r#"{"users":[{"_id":"zz","status":"away"}],"full":false,"success":true}"#]
        )
        .is_empty());
        assert_eq!(
            aspects(
                &[r#"{"full":true,"success":true}"#],
                &[r#"{"full":"true","success":true}"#]
            ),
            ["type:full"]
        );
        assert_eq!(
            aspects(
                &[r#"{"full":true,"success":true}"#],
                &[r#"{"success":true}"#]
            ),
            ["field:full"]
        );
    }

    #[test]
    fn an_item_field_is_missing_only_when_no_answer_of_that_side_has_it() {
        // One page shows a user with a nickname on one server and one without on the other,
        // but another page of the same request shows a nickname on both: data, not shape.
        assert!(aspects(
            &[
                r#"{"result":[{"_id":"a","nickname":"n"}]}"#,
                r#"{"result":[{"_id":"b"}]}"#
            ],
            &[
                r#"{"result":[{"_id":"c"}]}"#,
                r#"{"result":[{"_id":"d","nickname":"m"}]}"#
            ]
        )
        .is_empty());
        // An empty list says nothing about its items' fields.
        assert!(aspects(&[r#"{"users":[{"_id":"a"}]}"#], &[r#"{"users":[]}"#]).is_empty());
        // A field one server never sends while the other does: shape.
        assert_eq!(
            aspects(
                &[
                    r#"{"users":[{"_id":"a","status":"online"}]}"#,
                    r#"{"users":[]}"#
                ],
                &[r#"{"users":[{"_id":"b"}]}"#, r#"{"users":[{"_id":"c"}]}"#]
            ),
            ["field:users[].status"]
        );
    }

    #[test]
    fn a_sorted_page_is_compared_by_rank_and_ties_in_any_order() {
        let own: BTreeSet<String> = ["d1-a", "d1-b", "d1-c"].map(String::from).into();
        let page = |names: &[(&str, &str)], prefix: &str| {
            let items: Vec<Value> = names
                .iter()
                .map(|(n, bio)| serde_json::json!({"username": format!("{prefix}{n}"), "bio": bio}))
                .collect();
            serde_json::json!({ "result": items })
        };
        let url = "http://h/api/v1/directory?sort=%7B%22bio%22%3A1%7D";
        assert_eq!(sort_field(url), "bio");
        assert_eq!(sort_field("http://h/api/v1/directory"), "name");
        let target = page(&[("d1-a", "x"), ("d1-b", "x"), ("d1-c", "y")], "t-");
        let tied = page(&[("d1-b", "x"), ("d1-a", "x"), ("d1-c", "y")], "o-");
        let reversed = page(&[("d1-c", "y"), ("d1-a", "x"), ("d1-b", "x")], "o-");
        let ranked = |v: &Value, prefix: &str| ranks(v, "result", "bio", prefix, &own);
        assert_eq!(ranked(&target, "t-"), ranked(&tied, "o-"));
        assert_ne!(ranked(&target, "t-"), ranked(&reversed, "o-"));
    }

    #[test]
    fn ids_name_the_check_the_request_and_the_aspect() {
        let mut t = CheckResult {
            id: "presence/x".into(),
            endpoint: "presence".into(),
            level: crate::vocabulary::Level::Must,
            sentence: String::new(),
            source: String::new(),
            rules: vec!["presence.full".into()],
            code: String::new(),
            needs: String::new(),
            status: Status::Pass,
            message: None,
            expected: None,
            actual: None,
            curl: None,
            expected_failure: None,
            notes: vec![],
            duration_ms: 0,
            exchanges: vec![answer(200, r#"{"success":true}"#)],
        };
        let mut o = t.clone();
        o.status = Status::Fail;
        o.exchanges = vec![answer(400, r#"{"success":false}"#)];
        let mut out = Vec::new();
        compare_check(&t, &o, None, &mut out);
        let ids: Vec<&str> = out.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "presence/x:verdict",
                "presence/x@GET:/api/v1/users.presence:status",
                "presence/x@GET:/api/v1/users.presence:value:success",
            ]
        );
        t.exchanges.push(answer(200, "{}"));
        out.clear();
        compare_check(&t, &t.clone(), None, &mut out);
        assert!(out.is_empty());
    }
}

/*!
Query-string reading with Rocket.Chat's validation semantics.

Rocket.Chat parses query strings with `qs` (so `a=1&a=2` and `a[]=1` are arrays and `a[x]=1` is an
object) and validates them with ajv schemas that forbid unknown keys. poem-openapi's extractors
take the first of repeated values and ignore unknown keys, so the rules here read the raw query
string instead, and the handlers' declared parameters only describe the API in the document.

Error messages are ajv's, as Rocket.Chat sends them: "must NOT have additional properties",
"must be string", "must be number", "must be string,array".
*/

use std::borrow::Cow;
use std::collections::BTreeMap;

/// One query parameter after `qs`-style grouping. Names and values borrow from the query string
/// unless percent- or plus-decoding changed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValue<'q> {
    /// `name=value`, given once.
    Single(Cow<'q, str>),
    /// `name=a&name=b`, `name[]=a`, `name[0]=a`.
    Multi(Vec<Cow<'q, str>>),
    /// `name[key]=value`.
    Object,
}

/// A validation failure, with ajv's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidParams(pub String);

/// The query string grouped by parameter name.
#[derive(Debug, Default, Clone)]
pub struct RawQuery<'q> {
    params: BTreeMap<Cow<'q, str>, QueryValue<'q>>,
}

/// The most array elements accepted for one parameter, as Rocket.Chat's `qs` `arrayLimit`.
pub const ARRAY_LIMIT: usize = 500;

/// The first `len` bytes of `key`, still borrowed when `key` is.
fn prefix(key: Cow<'_, str>, len: usize) -> Cow<'_, str> {
    match key {
        Cow::Borrowed(k) => Cow::Borrowed(&k[..len]),
        Cow::Owned(mut k) => {
            k.truncate(len);
            Cow::Owned(k)
        }
    }
}

impl<'q> RawQuery<'q> {
    pub fn parse(query: &'q str) -> Self {
        let mut params: BTreeMap<Cow<'q, str>, QueryValue<'q>> = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key.is_empty() {
                continue;
            }
            let (name_len, bracket) = match key.find('[') {
                Some(i) if i > 0 && key.ends_with(']') => (i, Some(&key[i + 1..key.len() - 1])),
                _ => (key.len(), None),
            };
            let is_array_element =
                matches!(bracket, Some(b) if b.is_empty() || b.bytes().all(|c| c.is_ascii_digit()));
            let bracketed = bracket.is_some();
            let entry = params.entry(prefix(key, name_len));
            use std::collections::btree_map::Entry;
            match (entry, bracketed) {
                (Entry::Vacant(v), false) => {
                    v.insert(QueryValue::Single(value));
                }
                (Entry::Vacant(v), true) if is_array_element => {
                    v.insert(QueryValue::Multi(vec![value]));
                }
                (Entry::Vacant(v), true) => {
                    v.insert(QueryValue::Object);
                }
                (Entry::Occupied(mut o), _) => {
                    let slot = o.get_mut();
                    *slot = match std::mem::replace(slot, QueryValue::Object) {
                        QueryValue::Object => QueryValue::Object,
                        _ if bracketed && !is_array_element => QueryValue::Object,
                        QueryValue::Single(first) => QueryValue::Multi(vec![first, value]),
                        QueryValue::Multi(mut all) => {
                            all.push(value);
                            QueryValue::Multi(all)
                        }
                    };
                }
            }
        }
        Self { params }
    }

    /// Fails with "must NOT have additional properties" when a name outside `allowed` is present.
    pub fn reject_unknown(&self, allowed: &[&str]) -> Result<(), InvalidParams> {
        match self.params.keys().find(|k| !allowed.contains(&k.as_ref())) {
            Some(_) => Err(InvalidParams("must NOT have additional properties".into())),
            None => Ok(()),
        }
    }

    /// Fails with "Invalid query parameters" when an array is longer than [`ARRAY_LIMIT`].
    pub fn check_array_limit(&self) -> Result<(), InvalidParams> {
        let too_long = self
            .params
            .values()
            .any(|v| matches!(v, QueryValue::Multi(all) if all.len() > ARRAY_LIMIT));
        if too_long {
            return Err(InvalidParams("Invalid query parameters".into()));
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&QueryValue<'q>> {
        self.params.get(name)
    }

    /// A parameter that must be a single string, when present.
    pub fn string(&self, name: &str) -> Result<Option<&str>, InvalidParams> {
        Ok(self.single(name)?.map(AsRef::as_ref))
    }

    /// As [`RawQuery::string`], still borrowing from the query string when it was not decoded.
    pub fn string_cow(&self, name: &str) -> Result<Option<Cow<'q, str>>, InvalidParams> {
        Ok(self.single(name)?.cloned())
    }

    fn single(&self, name: &str) -> Result<Option<&Cow<'q, str>>, InvalidParams> {
        match self.get(name) {
            None => Ok(None),
            Some(QueryValue::Single(s)) => Ok(Some(s)),
            Some(_) => Err(InvalidParams("must be string".into())),
        }
    }

    /// A parameter that may be a string or an array of strings.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<&str>>, InvalidParams> {
        match self.get(name) {
            None => Ok(None),
            Some(QueryValue::Single(s)) => Ok(Some(vec![s.as_ref()])),
            Some(QueryValue::Multi(all)) => Ok(Some(all.iter().map(AsRef::as_ref).collect())),
            Some(QueryValue::Object) => Err(InvalidParams("must be string,array".into())),
        }
    }

    /// A parameter ajv coerces to a number, when present and not empty (`count=` means absent).
    pub fn number(&self, name: &str) -> Result<Option<f64>, InvalidParams> {
        let raw = match self.get(name) {
            None => return Ok(None),
            Some(QueryValue::Single(s)) => s,
            Some(_) => return Err(InvalidParams("must be number".into())),
        };
        if raw.is_empty() {
            return Ok(None);
        }
        js_number(raw)
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| InvalidParams("must be number".into()))
    }
}

/// JavaScript's `Number(string)` for the forms ajv's coercion accepts: decimal (with exponent),
/// and `0x`/`0o`/`0b` integers; surrounding whitespace is ignored.
pub fn js_number(raw: &str) -> Option<f64> {
    let s = raw.trim();
    if s.is_empty() {
        return Some(0.0);
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(body) = s.strip_prefix(prefix) {
            return u64::from_str_radix(body, radix).ok().map(|n| n as f64);
        }
    }
    let looks_decimal = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !looks_decimal {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_bracketed_names_become_arrays() {
        let q = RawQuery::parse("ids=a&ids=b&x[]=1&x[]=2&y[0]=3&from=now");
        assert_eq!(
            q.get("ids"),
            Some(&QueryValue::Multi(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            q.get("x"),
            Some(&QueryValue::Multi(vec!["1".into(), "2".into()]))
        );
        assert_eq!(q.get("y"), Some(&QueryValue::Multi(vec!["3".into()])));
        assert_eq!(q.get("from"), Some(&QueryValue::Single("now".into())));
    }

    #[test]
    fn a_named_bracket_after_a_value_makes_an_object() {
        for query in ["ids=a&ids[k]=b", "ids[]=a&ids[k]=b"] {
            assert_eq!(
                RawQuery::parse(query).get("ids"),
                Some(&QueryValue::Object),
                "{query}"
            );
        }
    }

    #[test]
    fn keys_that_only_look_bracketed_stay_literal_names() {
        // A leading bracket, or an opening one without a closing one, names the parameter as
        // written (qs does the same), so it is an unknown parameter rather than `from`/`ids`.
        let q = RawQuery::parse("[a]=1&from[=x&ids[0=y");
        assert_eq!(q.get("[a]"), Some(&QueryValue::Single("1".into())));
        assert_eq!(q.get("from["), Some(&QueryValue::Single("x".into())));
        assert_eq!(q.get("ids[0"), Some(&QueryValue::Single("y".into())));
        assert_eq!((q.get(""), q.get("from"), q.get("ids")), (None, None, None));
    }

    #[test]
    fn named_brackets_become_objects() {
        let q = RawQuery::parse("ids[a]=b");
        assert_eq!(q.get("ids"), Some(&QueryValue::Object));
        assert_eq!(
            q.strings("ids"),
            Err(InvalidParams("must be string,array".into()))
        );
        assert_eq!(q.string("ids"), Err(InvalidParams("must be string".into())));
    }

    #[test]
    fn values_are_percent_and_plus_decoded() {
        let q = RawQuery::parse("from=2019-05-22T12%3A11%3A45%2B02%3A00&text=a+b");
        assert_eq!(q.string("from"), Ok(Some("2019-05-22T12:11:45+02:00")));
        assert_eq!(q.string("text"), Ok(Some("a b")));
    }

    #[test]
    fn unknown_names_are_rejected_with_ajv_message() {
        let q = RawQuery::parse("from=x&foo=1");
        assert_eq!(
            q.reject_unknown(&["from", "ids"]),
            Err(InvalidParams("must NOT have additional properties".into()))
        );
        assert_eq!(q.reject_unknown(&["from", "foo"]), Ok(()));
    }

    #[test]
    fn repeated_scalar_is_must_be_string() {
        let q = RawQuery::parse("from=a&from=b");
        assert_eq!(
            q.string("from"),
            Err(InvalidParams("must be string".into()))
        );
    }

    #[test]
    fn numbers_follow_javascript_coercion() {
        let n = |s: &str| RawQuery::parse(&format!("count={s}")).number("count");
        assert_eq!(n("10"), Ok(Some(10.0)));
        assert_eq!(n(""), Ok(None));
        assert_eq!(n("1e2"), Ok(Some(100.0)));
        assert_eq!(n("0x10"), Ok(Some(16.0)));
        assert_eq!(n("%205"), Ok(Some(5.0)));
        assert_eq!(n("-5"), Ok(Some(-5.0)));
        assert_eq!(n("1.5"), Ok(Some(1.5)));
        assert_eq!(n("abc"), Err(InvalidParams("must be number".into())));
        assert_eq!(n("Infinity"), Err(InvalidParams("must be number".into())));
        assert_eq!(n("NaN"), Err(InvalidParams("must be number".into())));
        let repeated = RawQuery::parse("count=1&count=2").number("count");
        assert_eq!(repeated, Err(InvalidParams("must be number".into())));
    }

    #[test]
    fn more_than_the_array_limit_is_rejected() {
        let many: Vec<String> = (0..=ARRAY_LIMIT).map(|i| format!("ids={i}")).collect();
        let many = many.join("&");
        let q = RawQuery::parse(&many);
        assert_eq!(
            q.check_array_limit(),
            Err(InvalidParams("Invalid query parameters".into()))
        );
        let ok: Vec<String> = (0..ARRAY_LIMIT).map(|i| format!("ids={i}")).collect();
        assert_eq!(RawQuery::parse(&ok.join("&")).check_array_limit(), Ok(()));
    }
}

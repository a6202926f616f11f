//! Traceability: the contract documents (`docs/contract/*.md`), the rule table generated from
//! them (`conformance/src/contract_rules.rs`), the catalog and `docs/checks.md` agree.
//!
//! - every check cites at least one rule, every cited anchor is a rule, and a MUST check cites
//!   a MUST rule;
//! - every rule is cited by a check, or says under "Not checked" why none enforces it, and its
//!   "Checked by" list is exactly the checks that cite it;
//! - every `docs/contract/<document>#<anchor>` in the reference server's sources resolves;
//! - the generated table and `docs/checks.md` are fresh (in CI a stale copy fails; locally the
//!   test rewrites it).

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

use conformance::{contract, kill_matrix::Matrix, Level};

const DOCUMENTS: [&str; 3] = ["users.presence.md", "directory.md", "auth-and-errors.md"];

/// One rule as the documents state it.
#[derive(Debug)]
struct Parsed {
    anchor: String,
    document: &'static str,
    title: String,
    level: Level,
    upstream: Option<String>,
    unchecked: Option<String>,
    checked_by: BTreeSet<String>,
}

/// The full hashes of the commits the documents cite, per repository, from the README's table.
fn commits(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut repo = String::new();
    for line in readme.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 {
            continue;
        }
        if !cells[1].is_empty() {
            repo = cells[1].trim_matches('`').to_owned();
        }
        let hash = cells[2].trim_matches('`');
        if hash.len() == 40 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push((repo.clone(), hash.to_owned()));
        }
    }
    out
}

/// The first public source of a rule's "Sources": the documentation page, else Rocket.Chat's
/// source (or its Open-API description) at a recorded commit, else a released package, else the
/// newest commit of a file cited without one.
fn upstream(
    sources: &str,
    links: &BTreeMap<String, String>,
    commits: &[(String, String)],
) -> Option<String> {
    let text = sources.split_whitespace().collect::<Vec<_>>().join(" ");
    let doc = links
        .iter()
        .filter_map(|(name, url)| text.find(&format!("][{name}]")).map(|at| (at, url)))
        .min();
    // A repository's file at a commit: `RC `path` at `hash``, `RC `path` (commit `hash``,
    // `RocketChat/<repo>` `path` at `hash``; a commit not recorded names the newest.
    let source = ["RC ", "`RocketChat/Rocket.Chat-Open-API` "]
        .iter()
        .flat_map(|lead| text.match_indices(lead).map(move |(at, _)| (at, *lead)))
        .filter_map(|(at, lead)| {
            let repo = if lead == "RC " {
                "RocketChat/Rocket.Chat"
            } else {
                "RocketChat/Rocket.Chat-Open-API"
            };
            let rest = &text[at + lead.len()..];
            let rest = rest.strip_prefix("e2e test ").unwrap_or(rest);
            let path = rest.strip_prefix('`')?.split('`').next()?;
            let after = &rest[path.len() + 2..];
            let commit = if after.starts_with(" (commit not recorded") {
                "develop".to_owned()
            } else {
                let hash = after
                    .strip_prefix(" at `")
                    .or_else(|| after.strip_prefix(" (commit `"))?
                    .split('`')
                    .next()?;
                commits
                    .iter()
                    .find(|(r, full)| r == repo && full.starts_with(hash))
                    .map_or_else(|| hash.to_owned(), |(_, full)| full.clone())
            };
            Some((
                commit == "develop",
                at,
                format!("https://github.com/{repo}/blob/{commit}/{path}"),
            ))
        })
        .min();
    // A pinned commit before a package, a package before the newest commit.
    let (pinned, newest) = match source {
        Some((false, at, url)) => (Some((at, url)), None),
        Some((true, at, url)) => (None, Some((at, url))),
        None => (None, None),
    };
    let package = text.find("`@rocket.chat/rest-typings` ").and_then(|at| {
        let version = text[at + 28..].split([' ', ',', ')', ';']).next()?;
        version
            .chars()
            .next()
            .filter(char::is_ascii_digit)
            .map(|_| {
                (
                    at,
                    format!("https://www.npmjs.com/package/@rocket.chat/rest-typings/v/{version}"),
                )
            })
    });
    doc.map(|(_, url)| url.clone())
        .or(pinned.map(|(_, url)| url))
        .or(package.map(|(_, url)| url))
        .or(newest.map(|(_, url)| url))
}

/// The block of a rule section that starts with `**Label**` and runs to the next labelled
/// paragraph.
fn block(section: &[&str], label: &str) -> Option<String> {
    let start = section
        .iter()
        .position(|l| l.starts_with(&format!("**{label}**")))?;
    let mut lines = vec![section[start]
        .trim_start_matches(&format!("**{label}**"))
        .trim_start_matches(':')];
    for line in &section[start + 1..] {
        let blank = line.trim().is_empty();
        let started = lines.iter().any(|l| !l.trim().is_empty());
        if (blank && started)
            || line.starts_with("**")
            || line.starts_with("<a id=")
            || line.starts_with('#')
        {
            break;
        }
        lines.push(line);
    }
    Some(
        lines
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn parse(root: &Path) -> Vec<Parsed> {
    let dir = root.join(contract::CONTRACT_DIR);
    let commits = commits(&std::fs::read_to_string(dir.join("README.md")).unwrap());
    let mut rules = Vec::new();
    for document in DOCUMENTS {
        let text = std::fs::read_to_string(dir.join(document)).unwrap();
        let links: BTreeMap<String, String> = text
            .lines()
            .filter_map(|l| {
                let (name, url) = l.strip_prefix('[')?.split_once("]: ")?;
                Some((name.to_owned(), url.trim().to_owned()))
            })
            .collect();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let Some(anchor) = line
                .strip_prefix("<a id=\"")
                .and_then(|l| l.strip_suffix("\"></a>"))
            else {
                continue;
            };
            let heading = lines[n + 1];
            let title = heading
                .strip_prefix(&format!("### {anchor}: "))
                .unwrap_or_else(|| {
                    panic!(
                        "{document}: the anchor {anchor} is not followed by `### {anchor}: title`"
                    )
                });
            let end = lines[n + 1..]
                .iter()
                .position(|l| l.starts_with("<a id=") || l.starts_with("## "))
                .map_or(lines.len(), |k| n + 1 + k);
            let section = &lines[n + 2..end];
            let level = match block(section, "Level").as_deref() {
                Some("MUST") => Level::Must,
                Some("SHOULD") => Level::Should,
                other => panic!("{document}#{anchor}: level {other:?}"),
            };
            let sources = block(section, "Sources")
                .unwrap_or_else(|| panic!("{document}#{anchor} has no Sources"));
            let checked_by = block(section, "Checked by")
                .map(|b| {
                    b.split('`')
                        .skip(1)
                        .step_by(2)
                        .filter(|s| s.starts_with("presence/") || s.starts_with("directory/"))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            rules.push(Parsed {
                anchor: anchor.to_owned(),
                document,
                title: title.to_owned(),
                level,
                upstream: upstream(&sources, &links, &commits),
                unchecked: block(section, "Not checked"),
                checked_by,
            });
        }
    }
    rules
}

/// The Rust source of `contract::RULES`.
fn generate(rules: &[Parsed]) -> String {
    let mut out = String::from(
        "// Generated from docs/contract/*.md by conformance/tests/contract.rs: do not edit.\n&[\n",
    );
    for r in rules {
        let opt = |v: &Option<String>| {
            v.as_ref()
                .map_or("None".to_owned(), |s| format!("Some({s:?})"))
        };
        out.push_str(&format!(
            "    Rule {{\n        anchor: {:?},\n        document: {:?},\n        title: {:?},\n        level: Level::{},\n        upstream: {},\n        unchecked: {},\n    }},\n",
            r.anchor,
            r.document,
            r.title,
            if r.level == Level::Must { "Must" } else { "Should" },
            opt(&r.upstream),
            opt(&r.unchecked),
        ));
    }
    out.push_str("]\n");
    out
}

/// `docs/checks.md`: every check with its level, rules, needs, what it catches and its code.
fn checks_md() -> String {
    let matrix = Matrix::committed();
    let mut out = String::from(
        "# The checks\n\nGenerated by `conformance/tests/contract.rs` from the catalog, the contract documents and\nthe kill matrix: do not edit. Each check's rules link to their section of the contract; its\ncode is where it is registered, beside its body.\n\n| check | level | rules | needs | catches | code |\n|---|---|---|---|---|---|\n",
    );
    for c in conformance::catalog() {
        let rules: Vec<String> = c
            .rules
            .iter()
            .map(|a| match contract::rule(a) {
                Some(r) => format!("[{a}](contract/{}#{a})", r.document),
                None => a.to_string(),
            })
            .collect();
        let catches = matrix
            .checks
            .get(&c.id)
            .map(|d| {
                d.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "varies by run".into());
        let code = c.code();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | [{}](../{}) |\n",
            c.id,
            c.level,
            rules.join(", "),
            c.needs.describe(),
            catches,
            code.rsplit('/').next().unwrap_or(&code),
            code.replacen(':', "#L", 1),
        ));
    }
    out
}

/// Compares a generated file with its committed copy: in CI a difference fails, elsewhere the
/// copy is rewritten (and the test still fails, so that the change is seen).
fn fresh(path: &Path, generated: &str) {
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != generated {
        if std::env::var_os("CI").is_none() {
            std::fs::write(path, generated).unwrap();
        }
        panic!(
            "{} is stale{}",
            path.display(),
            if std::env::var_os("CI").is_none() {
                " and was rewritten: review and commit it"
            } else {
                ": run the tests locally and commit"
            }
        );
    }
}

/// The README's copy of the contract's "what each line does" table, between the same markers.
#[test]
fn the_readme_version_table_is_the_contracts() {
    let root = common::root();
    let between = |text: &str| -> (usize, usize) {
        let start = text
            .find("<!-- version-table:start -->")
            .expect("start marker")
            + "<!-- version-table:start -->".len();
        let end = text.find("<!-- version-table:end -->").expect("end marker");
        (start, end)
    };
    let contract = std::fs::read_to_string(root.join("docs/contract/README.md")).unwrap();
    let (a, b) = between(&contract);
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (c, d) = between(&readme);
    let generated = format!("{}{}{}", &readme[..c], &contract[a..b], &readme[d..]);
    fresh(&readme_path, &generated);
}

#[test]
fn the_rule_table_is_generated_from_the_documents() {
    let root = common::root();
    fresh(
        &root.join("conformance/src/contract_rules.rs"),
        &generate(&parse(&root)),
    );
}

#[test]
fn checks_md_is_fresh() {
    fresh(&common::root().join("docs/checks.md"), &checks_md());
}

#[test]
fn every_check_cites_rules_and_every_rule_is_checked_or_says_why() {
    let rules = parse(&common::root());
    let mut cited: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for c in conformance::catalog() {
        if c.rules.is_empty() {
            problems.push(format!("{} cites no rule", c.id));
        }
        for a in c.rules {
            match rules.iter().find(|r| r.anchor == *a) {
                None => problems.push(format!(
                    "{} cites {a}, which no contract document has",
                    c.id
                )),
                Some(_) => {
                    cited.entry(a).or_default().insert(c.id.clone());
                }
            }
        }
        let must = c.rules.iter().any(|a| {
            rules
                .iter()
                .any(|r| r.anchor == *a && r.level == Level::Must)
        });
        if c.level == Level::Must && !must {
            problems.push(format!("{} is MUST but cites no MUST rule", c.id));
        }
    }
    for r in &rules {
        let by = cited.get(r.anchor.as_str()).cloned().unwrap_or_default();
        match (&r.unchecked, by.is_empty()) {
            (None, true) => problems.push(format!(
                "{}#{}: no check cites it and it does not say why (\"Not checked\")",
                r.document, r.anchor
            )),
            (Some(_), false) => problems.push(format!(
                "{}#{}: says \"Not checked\" but {by:?} cite it",
                r.document, r.anchor
            )),
            _ => {}
        }
        if r.checked_by != by {
            problems.push(format!(
                "{}#{}: \"Checked by\" lists {:?}, the catalog has {by:?}",
                r.document, r.anchor, r.checked_by
            ));
        }
    }
    let anchors: BTreeSet<&str> = rules.iter().map(|r| r.anchor.as_str()).collect();
    if anchors.len() != rules.len() {
        problems.push("an anchor is used twice".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn reference_server_rule_docs_point_to_existing_anchors() {
    let root = common::root();
    let rules = parse(&root);
    let mut pending = vec![root.join("reference-server/src")];
    let mut seen = 0;
    let mut problems = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (at, _) in text.match_indices("docs/contract/") {
                let cite: String = text[at + 14..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "._-#".contains(*c))
                    .collect();
                let Some((document, anchor)) = cite.split_once('#') else {
                    continue;
                };
                seen += 1;
                if !rules
                    .iter()
                    .any(|r| r.document == document && r.anchor == anchor)
                {
                    problems.push(format!(
                        "{}: docs/contract/{cite} does not exist",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        seen > 0,
        "the reference server's rule modules cite no contract rule"
    );
}

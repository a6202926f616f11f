//! The contract's "what each line does" table (`docs/contract/README.md#what-each-line-does`)
//! against the reference server's code: every row the server follows "as the line" names, for
//! each line, what the server's version rules give.

use std::path::PathBuf;

use reference_server::version::Line;

/// The rows between the table's markers, as cells.
fn rows() -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/contract/README.md");
    let text = std::fs::read_to_string(&path).expect("the contract's README");
    let start = text
        .find("<!-- version-table:start -->")
        .expect("start marker");
    let end = text.find("<!-- version-table:end -->").expect("end marker");
    text[start..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .skip(1)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// A version rule of the server, the cell when it holds and the cell when it does not.
type Rule = (fn(Line) -> bool, &'static str, &'static str);

/// For a row the server follows as the line: its rule.
fn rule_of(behaviour: &str) -> Option<Rule> {
    Some(match behaviour {
        "`Presence_broadcast_disabled` on" => (
            Line::has_broadcast_setting,
            "empty full list",
            "no such setting",
        ),
        "an unknown `users.presence` parameter" => {
            (Line::validates_presence_params, "400", "ignored")
        }
        "`from` given twice" => (Line::validates_presence_params, "400", "full list"),
        "`ids` as an object (`ids[k]=v`)" => (
            Line::validates_presence_params,
            "400 `must be string,array`",
            "400 `ids.split is not a function`",
        ),
        "`ids=a,b`" => (Line::splits_comma_ids, "both users", "no users"),
        "`ids` naming an offline user with a status text" => {
            (Line::has_status_source, "listed", "left out")
        }
        "a human's `away` or `busy` set over REST, without a live connection" => {
            (Line::has_presence_engine, "shows `offline`", "shows as set")
        }
        "`statusSource`, `statusExpiresAt` in presence objects" => {
            (Line::has_status_source, "present", "absent")
        }
        "top-level `text`, `type`, `workspace` on `directory`" => {
            (Line::has_top_level_criteria, "honoured", "400")
        }
        "a parameter-validation 400" => (
            Line::legacy_validation_errors,
            "`<message> [invalid-params]`, `invalid-params`",
            "`<message>`, `error-invalid-params`",
        ),
        "the 401 body" => (
            Line::legacy_unauthorized_body,
            "`status`, `message`",
            "`success`, `error`, `status`, `message`",
        ),
        _ => return None,
    })
}

#[test]
fn the_server_follows_every_line_of_the_contracts_table() {
    let rows = rows();
    assert!(rows.len() >= 10, "the table has its rows: {rows:?}");
    let mut checked = 0;
    for row in &rows {
        assert_eq!(row.len(), 8, "{row:?}");
        let (behaviour, cells, server) = (&row[0], &row[1..7], &row[7]);
        if !server.starts_with("as the line") {
            continue;
        }
        let (rule, yes, no) = rule_of(behaviour)
            .unwrap_or_else(|| panic!("no rule of the server is known for the row {behaviour:?}"));
        for (line, cell) in Line::ALL.iter().zip(cells) {
            let want = if rule(*line) { yes } else { no };
            assert_eq!(cell, want, "{behaviour} on {line}");
        }
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} rows are followed as the line"
    );
}

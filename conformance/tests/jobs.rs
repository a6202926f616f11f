//! `--jobs`: the same catalog with one job and with eight gives the same results, in the same
//! order, for the same seed: against an honest reference server and against defective ones
//! (where checks fail and the model-based runs shrink a sequence). What differs between two
//! runs anyway (timings, the run's random prefix, the ids and tokens the server makes) is
//! masked before comparing.

mod common;
mod support;

use conformance::runner::{self, Quiet, Report};
use support::{
    defects::{Defect, DEFECTS},
    proxy::Proxy,
};

fn run(defect: Option<&'static Defect>, jobs: usize) -> Report {
    let server = common::start_reference();
    let proxy = Proxy::start(&server.url, defect);
    let mut config = common::reference_config(&proxy.url);
    config.cases = 16;
    config.jobs = jobs;
    runner::run(&config, &mut Quiet)
}

/// Each result as a line: id, status, message, expected, actual and notes, masked. A check that
/// judges one answer's own content may quote it in `actual`, and with several jobs that answer
/// may also hold users another check made meanwhile: user counts are masked there.
fn results(report: &Report) -> Vec<String> {
    let prefix = report
        .managed
        .as_ref()
        .map(|m| m.prefix.clone())
        .unwrap_or_default();
    report
        .results
        .iter()
        .map(|r| {
            let actual = r.actual.as_deref().map(mask_user_counts);
            let text = format!(
                "{} {:?} {:?} {:?} {:?} {:?}",
                r.id, r.status, r.message, r.expected, actual, r.notes
            );
            mask(&text.replace(&prefix, "<prefix>"))
        })
        .collect()
}

/// Replaces what differs from run to run: the ids the server makes (17 characters), token names
/// (`$TOKEN_n`) and instants on the real clock (`2026-12-07T22:43:34.736Z`).
fn mask(text: &str) -> String {
    let text = &mask_instants(text);
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let id_like = word.len() == 17
            && word.chars().all(|c| c.is_ascii_alphanumeric())
            && word
                .chars()
                .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
        let token = word.starts_with("TOKEN_");
        out.push_str(if id_like {
            "<id>"
        } else if token {
            "TOKEN_n"
        } else {
            word
        });
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn mask_user_counts(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(" with ") {
        let (head, tail) = rest.split_at(at + " with ".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with(" users") {
            out.push('N');
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

fn mask_instants(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_date = |i: usize| {
        bytes.len() >= i + 11
            && (0..10).all(|k| match k {
                4 | 7 => bytes[i + k] == b'-',
                _ => bytes[i + k].is_ascii_digit(),
            })
            && bytes[i + 10] == b'T'
    };
    let (mut out, mut i) = (String::new(), 0);
    while i < bytes.len() {
        if is_date(i) {
            out.push_str("<instant>");
            i += 11;
            while i < bytes.len() && b"0123456789:.+-Z".contains(&bytes[i]) {
                i += 1;
            }
        } else {
            let c = text[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn assert_same(defect: Option<&'static Defect>) {
    let one = run(defect, 1);
    let eight = run(defect, 8);
    assert_eq!(one.config.jobs, 1);
    assert_eq!(eight.config.jobs, 8);
    assert_eq!(one.summary, eight.summary, "{:?}", defect.map(|d| d.name));
    assert_eq!(one.outcome, eight.outcome);
    let (a, b) = (results(&one), results(&eight));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "defect {:?}", defect.map(|d| d.name));
    }
    assert_eq!(a.len(), b.len());
}

fn defect(name: &str) -> &'static Defect {
    DEFECTS
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no defect {name}"))
}

#[test]
fn one_job_and_eight_agree_on_an_honest_server() {
    assert_same(None);
}

#[test]
fn one_job_and_eight_agree_on_defective_servers() {
    // Failures everywhere in presence (model-based run included, with shrinking), and in every
    // directory answer. (Defects that drop one of several equally named users are not used: which
    // one the server drops follows the random ids it made, in any two runs alike.)
    assert_same(Some(defect("presence-full-always-true")));
    assert_same(Some(defect("directory-extra-top-level-key")));
}

#[test]
fn masking_keeps_what_is_not_random() {
    assert_eq!(
        mask("user aB3dEfGhIjKlMnOpQ as $TOKEN_12 in conf-x from=2026-12-07T22:43:34.736Z;"),
        "user <id> as $TOKEN_n in conf-x from=<instant>;"
    );
    assert_eq!(
        mask_user_counts("\"full\": true with 12 users, with 3 rooms"),
        "\"full\": true with N users, with 3 rooms"
    );
}

//! The GitHub Action (`action.yml` at the repository's root) runs `action/run.sh` as its check
//! step. This test runs that script as the action would, with `INPUT_*` variables, a
//! `$GITHUB_OUTPUT` and a `$GITHUB_STEP_SUMMARY` file, against the reference server: once on a
//! passing selection and once on a selection that leaves no check (a usage error, not judged).

mod common;

use std::process::Command;

fn run_step(url: &str, filter: &str, dir: &std::path::Path) -> (i32, String, String) {
    let output = dir.join("output");
    let summary = dir.join("summary.md");
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(&summary);
    let status = Command::new("bash")
        .arg(common::root().join("action/run.sh"))
        .env("CONFORMANCE_BIN", env!("CARGO_BIN_EXE_conformance"))
        .env("INPUT_URL", url)
        .env("INPUT_FILTER", filter)
        .env("INPUT_JUNIT", dir.join("conformance.xml"))
        .env("INPUT_JSON", dir.join("conformance.json"))
        .env("INPUT_HTML", "")
        .env("INPUT_ARGS", "--seed 7 --cases 4 --model-sequences 2")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("CONFORM_ADMIN_USERNAME", "rocketchat.internal.admin.test")
        .env("CONFORM_ADMIN_PASSWORD", "rocketchat.internal.admin.test")
        .current_dir(dir)
        .status()
        .expect("bash runs");
    (
        status.code().unwrap_or(-1),
        std::fs::read_to_string(&output).unwrap_or_default(),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    )
}

#[test]
fn the_actions_run_step_checks_a_server_and_sets_its_outputs() {
    let action = std::fs::read_to_string(common::root().join("action.yml")).unwrap();
    assert!(
        action.contains("$GITHUB_ACTION_PATH/action/run.sh"),
        "the action's check step is the script this test runs"
    );
    for input in [
        "url",
        "filter",
        "skip",
        "level",
        "rocketchat-version",
        "expect-fail",
        "args",
    ] {
        let variable = format!("INPUT_{}", input.to_uppercase().replace('-', "_"));
        assert!(action.contains(&format!("{input}:")), "input {input}");
        assert!(
            action.contains(&variable),
            "{input} reaches the script as {variable}"
        );
    }
    let server = common::start_reference();
    let dir = std::env::temp_dir().join(format!("conformance-action-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let (code, output, summary) =
        run_step(&server.url, "presence/envelope directory/envelope", &dir);
    assert_eq!(code, 0, "{output}\n{summary}");
    assert!(
        output.contains("outcome=conformant\n") && output.contains("exit-code=0\n"),
        "{output}"
    );
    assert!(
        summary.contains("conformant"),
        "the job summary says the result: {summary}"
    );
    assert!(dir.join("conformance.xml").exists() && dir.join("conformance.json").exists());

    let (code, output, _) = run_step(&server.url, "no/such/check", &dir);
    assert_eq!(code, 2, "a filter that selects nothing is a usage error");
    assert!(
        output.contains("outcome=not-judged\n") && output.contains("exit-code=2\n"),
        "{output}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#!/usr/bin/env bash
# The run step of the GitHub Action in action.yml: turns the action's inputs (INPUT_* variables)
# into the suite's flags, runs it, appends its Markdown summary to $GITHUB_STEP_SUMMARY and
# writes the outputs `outcome` and `exit-code` to $GITHUB_OUTPUT. Credentials come from the
# environment the workflow gives the step (CONFORM_ADMIN_USERNAME, CONFORM_ADMIN_PASSWORD, ...),
# never from inputs, so they stay masked secrets. conformance/tests/action.rs runs this script.
set -uo pipefail

bin="${CONFORMANCE_BIN:-conformance}"
args=(--url "${INPUT_URL:?the url input is required}")
for f in ${INPUT_FILTER:-}; do args+=(--filter "$f"); done
for s in ${INPUT_SKIP:-}; do args+=(--skip "$s"); done
[ -n "${INPUT_LEVEL:-}" ] && args+=(--level "$INPUT_LEVEL")
[ -n "${INPUT_ROCKETCHAT_VERSION:-}" ] && args+=(--rocketchat-version "$INPUT_ROCKETCHAT_VERSION")
[ -n "${INPUT_EXPECT_FAIL:-}" ] && args+=(--expect-fail "$INPUT_EXPECT_FAIL")
[ -n "${INPUT_JUNIT:-}" ] && args+=(--junit "$INPUT_JUNIT")
[ -n "${INPUT_JSON:-}" ] && args+=(--json "$INPUT_JSON")
[ -n "${INPUT_HTML:-}" ] && args+=(--html "$INPUT_HTML")
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && args+=(--markdown "$GITHUB_STEP_SUMMARY")
# Extra flags, split on whitespace (no quoting inside them).
# shellcheck disable=SC2206
[ -n "${INPUT_ARGS:-}" ] && args+=($INPUT_ARGS)

"$bin" "${args[@]}"
code=$?
case "$code" in
  0) outcome=conformant ;;
  1) outcome=not-conformant ;;
  130) outcome=interrupted ;;
  *) outcome=not-judged ;;
esac
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "outcome=$outcome" >> "$GITHUB_OUTPUT"
  echo "exit-code=$code" >> "$GITHUB_OUTPUT"
fi
exit "$code"

#!/usr/bin/env bash
# test-scripts.sh - the pipeline scripts' own tests, and shellcheck.
#
# Runs shellcheck on every script, checks qemu_run.py, then the bats tests in scripts/tests/
# (TAP), and ends with the line "N passed, N failed".
#
# Output: build/results/test-scripts.tap

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool bats shellcheck

stage test-scripts
tap=$RESULTS_DIR/test-scripts.tap
mkdir -p "$RESULTS_DIR"
passed=0 failed=0
if (cd "$TOP" && shellcheck -x scripts/*.sh scripts/sparse .ci/run); then
	passed=$((passed + 1))
	log "ok   shellcheck"
else
	failed=$((failed + 1))
	log "FAIL shellcheck"
fi
for py in qemu_run proof_table bench_table report_html; do
	# (report_html.py needs Debian's python3-markdown: /usr/bin first)
	if PATH="/usr/bin:$PATH" python3 -m py_compile "$TOP/scripts/$py.py" &&
		PATH="/usr/bin:$PATH" python3 "$TOP/scripts/$py.py" --help >/dev/null; then
		passed=$((passed + 1))
		log "ok   $py.py compiles and answers --help"
	else
		failed=$((failed + 1))
		log "FAIL $py.py"
	fi
done
rc=0
bats --tap "$TOP/scripts/tests" >"$tap" 2>&1 || rc=$?
while read -r line; do
	case "$line" in
	"ok "*)
		passed=$((passed + 1))
		log "$line"
		;;
	"not ok "*)
		failed=$((failed + 1))
		log "$line"
		;;
	esac
done <"$tap"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=$((failed + 1))
	log "bats itself failed (exit $rc): $tap"
fi
[ "$failed" -eq 0 ] || grep -v '^ok ' "$tap" | head -n 60 >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

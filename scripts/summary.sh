#!/usr/bin/env bash
# summary.sh - the stages of this run, with their wall times and the total.
#
# Prints the lines of build/results/stages.tsv (one per stage run, written by
# every stage) from the last "deps" stage on, which starts both 'make all'
# and 'make check': stage, verdict and seconds, then the total and where the
# results report is.  Exits 1 when a stage of the run failed.
#
# Environment: BUILD_DIR

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
tsv=$RESULTS_DIR/stages.tsv
[ -s "$tsv" ] || die "no stage has run yet ($tsv)"
from=$(awk -F'\t' '$2 ~ /^deps( |$)/ { n = NR } END { print n + 0 }' "$tsv")
[ "$from" -gt 0 ] || from=1
awk -F'\t' -v from="$from" '
	NR >= from {
		printf "  %-28s %-5s %6d s\n", $2, $3, $4
		total += $4
		if ($3 != "pass") failed++
		if (first == "") first = $1
		last = $1
	}
	END {
		printf "  %-28s %-5s %6d s (%d min), %s .. %s\n", "total", failed ? "FAIL" : "pass", total, int((total + 59) / 60), first, last
		exit failed ? 1 : 0
	}' "$tsv" || rc=$?
printf '  results report: %s (and .html)\n' "$RESULTS_DIR/report.md"
exit "${rc:-0}"

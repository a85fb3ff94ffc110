#!/usr/bin/env bash
# report.sh - last stage: one summary of what the stages recorded.
#
# Prints, and writes to build/results/summary.md: the base, the series (count
# and head), the latest result and time of every stage that has run
# (build/results/stages.tsv, one line per stage run) and the matrix table of
# the guest runs (build/results/<run>/summary.tsv).  Exits non-zero if the
# latest run of any stage, or any guest run, failed.

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"

load_base
load_series
summary=$RESULTS_DIR/summary.md
stages=$RESULTS_DIR/stages.tsv
[ -f "$stages" ] || die "no stage has run yet ($stages)"
head=$(sgit rev-parse -q --verify series 2>/dev/null || echo "not applied")
{
	echo "# mm-series summary"
	echo
	echo "- base: $BASE_DESC, commit $BASE_COMMIT"
	echo "- series: ${#SERIES_PATCHES[@]} patches, head $head"
	echo
	echo "| stage | result | seconds | when (UTC) |"
	echo "|---|---|---|---|"
	# latest line per stage name, in the order the stages first ran
	awk -F'\t' '{ if (!($2 in last)) order[n++] = $2; last[$2] = $0 }
		END { for (i = 0; i < n; i++) { split(last[order[i]], f, "\t"); printf "| %s | %s | %s | %s |\n", f[2], f[3], f[4], f[1] } }' "$stages"
	runs=("$RESULTS_DIR"/*/summary.tsv)
	if [ -f "${runs[0]}" ]; then
		echo
		echo "| run | arch | kernel | result | KUnit passed/failed/skipped | guest tests p/f/s | hot-plug cycles ok/total | splat lines | build s | boot s |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for r in "${runs[@]}"; do
			awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$r"
		done
	fi
} >"$summary"
cat "$summary"
# the closing line: stages and guest runs
echo
echo "summary: $(grep -c '| pass |\|| PASS |' "$summary") passed, $(grep -c '| FAIL |' "$summary") failed"
! grep -q '| FAIL |' "$summary" || die "some stages or guest runs failed (see above)"

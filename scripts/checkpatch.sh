#!/usr/bin/env bash
# checkpatch.sh - scripts/checkpatch.pl --strict --codespell on every patch of the series.
#
# Each patch must give 0 errors, 0 warnings and 0 checks.  The only way out is
# a line in configs/checkpatch-exceptions naming the patch, the checkpatch
# message TYPE and the reason; such types are passed to --ignore for that
# patch alone and listed in the report.
#
# Environment: SERIES, PATCHES, BUILD_DIR, CHECKPATCH_EXCEPTIONS (another file)
# Output: build/results/lint/checkpatch.txt
# Needs: make base

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool perl

stage checkpatch
load_base
load_series
exceptions=${CHECKPATCH_EXCEPTIONS:-$CONFIG_DIR/checkpatch-exceptions}
out=$RESULTS_DIR/lint/checkpatch.txt
mkdir -p "$(dirname "$out")"
: >"$out"

# reject exception lines without a reason
bad=$(awk '!/^#/ && NF > 0 && NF < 3' "$exceptions")
[ -z "$bad" ] || die "configs/checkpatch-exceptions: a line without a reason: $bad"

checkpatch_ready
if [ "${BASE_KIND:-}" = debian ]; then
	log "the Debian base has no git history: Fixes: ids are not looked up (UNKNOWN_COMMIT_ID ignored)"
fi
failed=0
for p in "${SERIES_PATCHES[@]}"; do
	name=$(basename "$p")
	ignore=$(awk -v n="$name" '!/^#/ && $1 == n { print $2 }' "$exceptions" | paste -sd, -)
	args=("${CHECKPATCH_ARGS[@]}")
	[ -z "$ignore" ] || args+=(--ignore="$ignore")
	rc=0
	res=$(checkpatch_pl "${args[@]}" "$(realpath "$p")" 2>&1) || rc=$?
	total=$(printf '%s\n' "$res" | grep -E '^total: ' | tail -n 1)
	{
		echo "### $name${ignore:+ (reviewed exceptions: $ignore)}"
		printf '%s\n\n' "$res"
	} >>"$out"
	if [ "$rc" -ne 0 ] || ! printf '%s\n' "$total" | grep -q '^total: 0 errors, 0 warnings, 0 checks'; then
		failed=$((failed + 1))
		printf '%s\n' "$res" | grep -E '^(ERROR|WARNING|CHECK):' | sed "s/^/    $name: /" >&2 || true
		log "FAIL $name: ${total:-checkpatch did not finish (exit $rc)}"
	else
		log "ok   $name: $total"
	fi
done
log "${#SERIES_PATCHES[@]} patches checked, $failed with findings (report: $out)"
[ "$failed" -eq 0 ] || die "checkpatch --strict: $failed patches have errors, warnings or checks"

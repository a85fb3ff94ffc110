#!/usr/bin/env bash
# apply.sh - stage 2: apply the series with 'git am' onto the base.
#
# Reads the quilt series file (default ./series; SERIES= to change) and applies
# each patch from PATCHES= (default ./patches) with 'git am', in order, on a
# fresh branch "series" that starts at the recorded base.  Committer dates are
# the author dates, so the same series gives the same commit ids.
#
# If a patch does not apply, the 'git am' is aborted, the patch and the
# failing file/hunk are named, build/src/linux is left exactly as it was
# before (same HEAD, same branch "series") and the exit status is 1.
#
# Environment: SERIES, PATCHES, BUILD_DIR
# Needs: make base

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git

stage apply
load_base
load_series
patches=("${SERIES_PATCHES[@]}")

if [ -n "$(sgit status --porcelain --untracked-files=no)" ] || sgit rev-parse -q --verify REBASE_HEAD >/dev/null ||
	[ -d "$(sgit rev-parse --git-path rebase-apply)" ]; then
	die "$SRC_DIR has local changes or an unfinished 'git am': it is ours, but not touching it; 'make clean' starts afresh"
fi

orig=$(sgit symbolic-ref -q --short HEAD || sgit rev-parse HEAD)
sgit checkout -q --detach "$BASE_COMMIT"

n=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	name=$(basename "$p")
	out=$(sgit am -q --committer-date-is-author-date "$p" 2>&1) && continue
	sgit am --abort >/dev/null 2>&1 || true
	sgit checkout -q --force "$orig"
	{
		echo "patch $n/${#patches[@]} $name does not apply on $BASE_DESC:"
		printf '%s\n' "$out" | grep -E '^error: |^Patch failed|^fatal: |^CONFLICT' | sed 's/^/    /' || true
		echo "build/src/linux is unchanged (still at $orig)."
	} >&2
	files=$(printf '%s\n' "$out" | sed -n 's/^error: patch failed: \(.*\):\([0-9]*\)$/\1 (hunk at line \2)/p' | sort -u | paste -sd, -)
	die "$name: does not apply${files:+ to $files}"
done

sgit branch -f series HEAD
sgit checkout -q series
log "${#patches[@]} patches applied on $BASE_DESC"
log "series head: $(sgit rev-parse --short=12 HEAD)"

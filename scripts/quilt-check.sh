#!/usr/bin/env bash
# quilt-check.sh - prove the series also applies with quilt, to the same tree.
#
# On a plain checkout of the base (build/wt/quilt) it runs
#     QUILT_PATCHES=patches QUILT_SERIES=series quilt push -a
# and then compares the resulting tree with the 'git am' branch "series":
# both ways of applying must give the same files, byte for byte.
#
# Environment: SERIES, PATCHES, BUILD_DIR
# Needs: make apply

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool quilt git

stage quilt-check
need_space "$BUILD_DIR" 2 "quilt-check (a plain copy of the base)"
require_series
load_series
wt=$(worktree quilt "$BASE_COMMIT")
rm -rf "$wt/.pc"
qlog=$LOG_DIR/quilt-push.log
mkdir -p "$LOG_DIR"
if [ "${#SERIES_PATCHES[@]}" -eq 0 ]; then
	log "0 patches: nothing for quilt to push"
else
	# quilt wants the series file inside QUILT_PATCHES or given by name there
	if ! (cd "$wt" && QUILT_PATCHES=$PATCH_DIR QUILT_SERIES=$SERIES_FILE quilt push -a -q) >"$qlog" 2>&1; then
		cat "$qlog" >&2
		die "quilt push -a failed (log: $qlog): the series does not apply with quilt"
	fi
	log "quilt pushed ${#SERIES_PATCHES[@]} patches"
fi
# compare with the git am result: stage everything but quilt's own .pc/
git -C "$wt" add -f -A -- . ':(exclude).pc'
if ! git -C "$wt" diff --cached --quiet series; then
	git -C "$wt" diff --cached --stat series >&2
	die "quilt's tree differs from the 'git am' branch 'series' (files above)"
fi
git -C "$wt" reset -q
rm -rf "$wt/.pc"
log "quilt and git am give the same tree ($(sgit rev-parse --short=12 'series^{tree}'))"

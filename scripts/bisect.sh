#!/usr/bin/env bash
# bisect.sh - every prefix of the series builds (bisectability).
#
# For k = 1..N it checks out base + the first k patches in build/src/linux
# (git rewrites only the files a patch touches) and builds the arch's matrix
# kernel incrementally in build/kernel/<arch>, the out-of-tree dir that
# 'make build' uses too: the last step is the matrix kernel itself, so the
# build stage after it has nothing left to compile.  build/src/linux is back
# on branch "series" afterwards, also on failure.  Default: x86_64;
# ARCH=<arch> for another one, ARCH=all for the whole matrix (make bisect-all).
# A prefix whose tree built before for the arch (same config and compiler:
# lib.sh bisect_key) is not built again: CACHE_DIR/bisect records
# each prefix tree that built; a failure is never recorded.
#
# Environment: ARCH (x86_64 | i386 | arm64 | arm64-64k | all), BUILD_DIR, CACHE_DIR
# Output: build/results/lint/bisect.txt
# Needs: make apply

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool make gcc ccache git

case "${ARCH:-x86_64}" in
all) arches=$KNOWN_ARCHES ;;
*)
	check_arch "${ARCH:-x86_64}"
	arches=${ARCH:-x86_64}
	;;
esac
# shellcheck disable=SC2086 # a list of arch names
need_compiler $arches
stage bisect
need_space "$BUILD_DIR" 3 "bisect (a worktree and a build per arch)"
require_series
load_series
n=${#SERIES_PATCHES[@]}
report=$RESULTS_DIR/lint/bisect.txt
mkdir -p "$(dirname "$report")"
: >"$report"
if [ "$n" -eq 0 ]; then
	log "0 patches: nothing to bisect"
	echo "0 patches" >"$report"
	exit 0
fi
mapfile -t commits < <(sgit rev-list --reverse "$BASE_COMMIT..series")
[ "${#commits[@]}" -eq "$n" ] || die "branch 'series' has ${#commits[@]} commits but the series file lists $n patches: run 'make apply'"
[ -z "$(sgit status --porcelain --untracked-files=no)" ] || die "$SRC_DIR has local changes: 'make apply' first"
trap 'rc=$?; sgit checkout -q --force series; stage_end $rc' EXIT
for arch in $arches; do
	out=$BUILD_DIR/kernel/$arch
	for k in $(seq 1 "$n"); do
		c=${commits[$((k - 1))]}
		subject=$(sgit log -1 --format=%s "$c")
		key=$(bisect_key "$arch" "$c")
		if [ -f "$CACHE_DIR/bisect/$key" ]; then
			log "$arch: [$k/$n] $subject: this tree built before (cache $key)"
			echo "$arch $k/$n ok (cache) $subject" >>"$report"
			continue
		fi
		sgit checkout -q --detach "$c"
		log "$arch: [$k/$n] $subject"
		kernel_config "$arch" "$SRC_DIR" "$out"
		t0=$SECONDS
		if ! run_logged "$out.bisect-$k.log" kernel_make "$arch" "$SRC_DIR" "$out"; then
			echo "$arch $k/$n FAIL $subject" >>"$report"
			die "$arch: the series does not build at patch $k/$n ($(basename "${SERIES_PATCHES[$((k - 1))]}")): $out.bisect-$k.log"
		fi
		echo "$arch $k/$n ok $((SECONDS - t0))s $subject" >>"$report"
		mkdir -p "$CACHE_DIR/bisect"
		: >"$CACHE_DIR/bisect/$key"
	done
done
log "every prefix of the $n-patch series builds on: $arches"

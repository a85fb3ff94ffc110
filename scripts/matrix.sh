#!/usr/bin/env bash
# matrix.sh - build and boot-test each arch in turn, then the negative test.
#
# For each selected arch (ARCH=, or every arch, x86_64 first): scripts/build.sh
# then scripts/boot.sh of that arch's guest runs, so the first boot verdict
# comes after one kernel build instead of after all of them.  Then
# scripts/negative.sh (it boots the x86_64 kernel), when x86_64 was built.
# Each of those is a stage of its own (build/results/stages.tsv).
#
# Environment: ARCH, CYCLES, BUILD_DIR, CACHE_DIR, JOBS (as build.sh, boot.sh)

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
arches=$(selected_arches)
# shellcheck disable=SC2086 # a list of arch names
need_compiler $arches
for arch in $arches; do
	ARCH=$arch "$TOP/scripts/build.sh"
	ARCH=$arch "$TOP/scripts/boot.sh"
done
case " $arches " in *" x86_64 "*) "$TOP/scripts/negative.sh" ;; esac

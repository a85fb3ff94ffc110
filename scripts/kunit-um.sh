#!/usr/bin/env bash
# kunit-um.sh - the series' KUnit suites that test generic code, on ARCH=um.
#
# The tree's own tools/testing/kunit/kunit.py builds a User Mode Linux kernel
# of the series with configs/kunit/um.kunitconfig and runs it (no QEMU).
# ARCH=um uses the generic tlb_flush() of <asm-generic/tlb.h>, which x86,
# arm64 (the QEMU matrix) do not: the mmu_gather suite runs for real only
# here.  The stage fails when a test fails or crashes, when no test ran, or
# on a splat in the kernel log.
#
# Environment: KUNIT_UM_TIMEOUT (seconds, default 300), BUILD_DIR, CACHE_DIR, JOBS
# Output: build/results/kunit-um/ (kernel.log, kunit.json, kunit.txt); the
# kernel in build/kernel/um

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git make gcc ccache python3 flex bison

stage kunit-um
need_space "$BUILD_DIR" 2 "kunit-um (an ARCH=um kernel build)"
require_series
require_series_checkout
out=$RESULTS_DIR/kunit-um
rm -rf "$out"
kunit_um "$SRC_DIR" "$BUILD_DIR/kernel/um" "$out"
cat "$out/kunit.txt"
read -r _ passed failed skipped errors < <(kunit_counts "$out/kunit.json")
log "ARCH=um: $passed passed, $failed failed, $skipped skipped, $errors parse errors"
why=$(kunit_um_verdict "$out")
[ -z "$why" ] || die "$why (see $out/kunit.txt, $out/kernel.log)"

#!/usr/bin/env bash
# negative.sh - the boot stage must fail on a guest that splats.
#
# Boots the x86_64 matrix kernel once more with mmseries.provoke=WARNING: the
# guest's init makes LKDTM hit a real WARN_ON(), the tests themselves still
# pass, and scripts/boot.sh must fail the run because of the splat in the
# log.  If boot.sh passes, this check fails: a splat scan that cannot fail
# proves nothing.
#
# Environment: BUILD_DIR
# Output: build/results-negative/
# Needs: make build ARCH=x86_64

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"

stage negative
out=$BUILD_DIR/results-negative
rm -rf "$out"
rc=0
RESULTS_DIR=$out BOOT=x86_64 ARCH=x86_64 BOOT_APPEND="mmseries.provoke=WARNING" \
	"$TOP/scripts/boot.sh" >"$out.log" 2>&1 || rc=$?
sed 's/^/    /' "$out.log"
[ "$rc" -ne 0 ] || die "boot.sh PASSED a guest that hit a WARN_ON(): the splat scan is broken"
grep -q 'splat lines in the log' "$out.log" ||
	die "boot.sh failed, but not because of the splat (see above)"
grep -q 'WARNING:' "$out/x86_64/splats.txt" || die "the WARNING is not in $out/x86_64/splats.txt"
log "boot.sh failed the provoked guest for its splat, as it must"

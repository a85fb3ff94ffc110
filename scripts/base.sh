#!/usr/bin/env bash
# base.sh - stage 1: get the base tree into our own clone (build/src/linux).
#
# Default: Debian's linux-source package pinned in configs/base.conf, fetched
# with a private apt config (the system's sources are not touched), checked
# against the pinned SHA256, unpacked and committed as one base commit with a
# fixed identity and date, so every machine gets the same commit id.  The
# package and the base repository are cached in CACHE_DIR.
#
# With KSRC=/path/to/linux (a git checkout) and optionally BASE=<commit-ish>
# (default HEAD), the base is that commit of the user's tree.  The user's tree
# is never written to: we make a shared clone of it under build/.
#
# Environment: KSRC, BASE, CACHE_DIR (default ~/.cache/mm-series),
#              BUILD_DIR (default ./build)
# Output: build/src/linux with branch "base", and build/base.env.

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git

# shellcheck source=configs/base.conf
. "$CONFIG_DIR/base.conf"

user_base() {
	[ -d "$KSRC" ] || die "KSRC=$KSRC does not exist"
	git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KSRC=$KSRC is not a git checkout (the default base needs no KSRC)"
	if [ ! -f "$KSRC/Makefile" ] || [ ! -f "$KSRC/scripts/checkpatch.pl" ]; then
		die "KSRC=$KSRC does not look like a Linux tree (no Makefile or scripts/checkpatch.pl)"
	fi
	BASE_ORIGIN=$(cd "$KSRC" && pwd)
	BASE_COMMIT=$(git -C "$KSRC" rev-parse -q --verify "${BASE:-HEAD}^{commit}") ||
		die "BASE=${BASE:-HEAD} is not a commit in $KSRC"
	if [ -n "$(git -C "$KSRC" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		warn "KSRC=$KSRC has uncommitted changes: they are NOT part of the base;"
		warn "the base is commit $BASE_COMMIT, and $KSRC is left as it is"
	fi
	BASE_DESC="$(git -C "$KSRC" describe --tags --always "$BASE_COMMIT" 2>/dev/null || echo "$BASE_COMMIT") from $BASE_ORIGIN"
	BASE_FALLBACK=0
}

stage base
need_space "$BUILD_DIR" 4 "the base tree (unpacked source and its git clone)"
if [ -n "${KSRC:-}" ]; then
	user_base
else
	[ -z "${BASE:-}" ] || die "BASE= needs KSRC= (the default base is fixed by configs/base.conf)"
	debian_base
fi

# Our clone shares the origin's objects (alternates) and writes nothing there.
# (the worktrees of build/wt are made from it and go with it)
own_clone "$SRC_DIR" "$BASE_ORIGIN" "$BUILD_DIR/wt"
sgit cat-file -e "$BASE_COMMIT^{commit}" || die "commit $BASE_COMMIT is not in $BASE_ORIGIN"
sgit branch -f base "$BASE_COMMIT"
if ! sgit rev-parse -q --verify HEAD >/dev/null || [ -n "$(sgit status --porcelain 2>/dev/null | head -n 1)" ] ||
	! sgit merge-base --is-ancestor "$BASE_COMMIT" HEAD; then
	log "checking out the base in build/src/linux"
	run_logged "$LOG_DIR/checkout.log" git -C "$SRC_DIR" checkout -q --force base
fi

mkdir -p "$BUILD_DIR"
{
	printf 'BASE_COMMIT=%q\n' "$BASE_COMMIT"
	printf 'BASE_DESC=%q\n' "$BASE_DESC"
	printf 'BASE_ORIGIN=%q\n' "$BASE_ORIGIN"
	printf 'BASE_FALLBACK=%q\n' "$BASE_FALLBACK"
	printf 'BASE_KIND=%q\n' "$([ -n "${KSRC:-}" ] && echo git || echo debian)"
} >"$BASE_ENV"
log "base: $BASE_DESC"
log "base commit: $BASE_COMMIT"

#!/usr/bin/env bash
# posting-check.sh - the mails of 'make posting' (build/posting/*.eml) are fit
# to send.  Any failure names the mail and exits 1.
#
# Round trip: in build/posting-work/linux, a clean checkout of the base commit
# the mails were made on, then 'git am' of the patch mails in order; the tree
# that gives must be the tree of the "series" commit they were made from
# (same tree hash).
# Every mail: no larger than max-mail-bytes (configs/posting.conf); the
# numbering [PATCH vN k/M] is complete; the cover letter (or the one patch)
# names the base in its base-commit: line.
# Every patch mail: a Signed-off-by: by the sender (From:) and by the author
# (an in-body From:, if any); a subject prefix that configs/posting.conf
# allows for the files the patch changes; scripts/checkpatch.pl --strict --codespell with
# 0 errors, 0 warnings and 0 checks.  configs/checkpatch-exceptions apply as
# in scripts/checkpatch.sh, to the patch file at the same place in the series.
#
# Environment: BUILD_DIR, POSTING_CONF, CHECKPATCH_EXCEPTIONS, SERIES, PATCHES
# Output: build/results/lint/posting-check.txt
# Needs: make posting (no kernel build)

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git perl flock

stage posting-check
load_base
posting_lock
env_file=$POSTING_WORK/posting.env
repo=$POSTING_WORK/linux
if [ ! -f "$env_file" ] || [ ! -d "$repo/.git" ] || [ ! -d "$POSTING_DIR" ]; then
	die "no mails yet: run 'make posting' (scripts/posting.sh) first"
fi
# shellcheck source=/dev/null
. "$env_file"
wgit() { GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$repo" "$@"; }
exceptions=${CHECKPATCH_EXCEPTIONS:-$CONFIG_DIR/checkpatch-exceptions}
max_bytes=$(posting_conf max-mail-bytes | head -n 1)
[[ "$max_bytes" =~ ^[0-9]+$ ]] || die "$POSTING_CONF: max-mail-bytes must be a number of bytes"
report=$RESULTS_DIR/lint/posting-check.txt
mkdir -p "$(dirname "$report")"
: >"$report"
tmp=$(mktemp -d)
# leave the b4 branch checked out, as 'make posting' did
trap 'rc=$?; wgit am --abort >/dev/null 2>&1 || true
	wgit checkout -q --force "$POSTED_BRANCH" 2>/dev/null || true
	rm -rf "$tmp"; stage_end $rc' EXIT

current=$(git -C "$SRC_DIR" rev-parse -q --verify 'refs/heads/series^{commit}' 2>/dev/null || true)
[ "$current" = "$POSTED_SERIES" ] ||
	warn "the mails are for series ${POSTED_SERIES:0:12}; branch series is now ${current:0:12}: run 'make posting' again"

checkpatch_ready
fails=()
fail() {
	fails+=("$1")
	log "FAIL $1"
}

# --- the mails, in the order of their numbers
cover='' patches=() total=''
for f in "$POSTING_DIR"/*.eml; do
	[ -e "$f" ] || die "no mails in $POSTING_DIR"
	m=$(basename "$f")
	size=$(stat -c %s "$f")
	[ "$size" -le "$max_bytes" ] || fail "$m: $size bytes, more than max-mail-bytes $max_bytes"
	subj=$(mail_header Subject "$f")
	if [[ "$subj" =~ ^Subject:\ \[[^]]*[^0-9]([0-9]+)/([0-9]+)\] ]]; then
		k=$((10#${BASH_REMATCH[1]})) total=${total:-${BASH_REMATCH[2]}}
		[ "${BASH_REMATCH[2]}" = "$total" ] || fail "$m: numbered k/${BASH_REMATCH[2]}, other mails say /$total"
	elif [[ "$subj" =~ ^Subject:\ \[[^]]*PATCH[^]]*\] ]]; then
		k=1 total=${total:-1}
	else
		fail "$m: no [PATCH ...] subject ($subj)"
		continue
	fi
	if [ "$k" -eq 0 ]; then
		[ -z "$cover" ] || fail "$m: a second cover letter"
		cover=$f
	elif [ -n "${patches[$k]:-}" ]; then
		fail "$m: a second mail numbered $k"
	else
		patches[k]=$f
	fi
done
[ "${#patches[@]}" -eq "${total:-0}" ] || fail "$POSTING_DIR: ${#patches[@]} patch mails, numbered /${total:-?}"
[ "${#patches[@]}" -eq "$POSTED_PATCHES" ] ||
	fail "$POSTING_DIR: ${#patches[@]} patch mails, but 'make posting' made $POSTED_PATCHES"
first=${cover:-${patches[1]:-}}
if [ -n "$first" ] && ! grep -qx "base-commit: $POSTED_BASE" "$first"; then
	fail "$(basename "$first"): no 'base-commit: $POSTED_BASE' line"
fi

# --- prefix rules: "PATH PATTERN" lines
mapfile -t rules < <(posting_conf prefix)
# allowed_for FILE: the patterns of the longest PATH that covers FILE
allowed_for() {
	local f=$1 r p best='' out=()
	for r in "${rules[@]}"; do
		p=${r%%[[:space:]]*}
		case "$f" in "$p" | "${p%/}"/*) ;; *) continue ;; esac
		[ "${#p}" -ge "${#best}" ] || continue
		[ "${#p}" -eq "${#best}" ] || out=()
		best=$p
		r=${r#"$p"}
		out+=("${r#"${r%%[![:space:]]*}"}")
	done
	[ "${#out[@]}" -eq 0 ] || printf '%s\n' "${out[@]}"
}

# --- per patch mail
load_series
series_names=()
for p in "${SERIES_PATCHES[@]}"; do series_names+=("$(basename "$p")"); done
[ "${#series_names[@]}" -eq "${#patches[@]}" ] ||
	warn "the series file has ${#series_names[@]} patches, the mails ${#patches[@]}: checkpatch exceptions not applied"
checked=0
for k in "${!patches[@]}"; do
	f=${patches[$k]}
	m=$(basename "$f")
	checked=$((checked + 1))
	git mailinfo "$tmp/msg" "$tmp/patch" <"$f" >"$tmp/info" 2>/dev/null || {
		fail "$m: git mailinfo cannot parse it"
		continue
	}
	# sign-offs: by the sender, and by the author if an in-body From: names another
	sender=$(mail_header From "$f" | sed -n 's/.*<\([^>]*\)>.*/\1/p')
	author=$(sed -n 's/^Email: //p' "$tmp/info")
	sobs=$(grep -i '^Signed-off-by:' "$tmp/msg" | sed -n 's/.*<\([^>]*\)>.*/\1/p' | tr '[:upper:]' '[:lower:]')
	grep -qxF "${sender,,}" <<<"$sobs" || fail "$m: no Signed-off-by: from its sender <$sender> (From:)"
	if [ -n "$author" ] && [ "${author,,}" != "${sender,,}" ]; then
		grep -qxF "${author,,}" <<<"$sobs" || fail "$m: no Signed-off-by: from its author <$author> (in-body From:)"
	fi
	# subject prefix
	subject=$(sed -n 's/^Subject: //p' "$tmp/info")
	mapfile -t pfiles < <(sed -n 's#^diff --git a/\(.*\) b/.*#\1#p' "$tmp/patch")
	[ "${#pfiles[@]}" -gt 0 ] || fail "$m: no diff in the mail"
	allowed=() ok=0 demanded=0
	for pf in "${pfiles[@]}"; do
		mapfile -t pats < <(allowed_for "$pf")
		[ "${#pats[@]}" -gt 0 ] || {
			fail "$m: no subject prefix rule in $(basename "$POSTING_CONF") covers $pf"
			continue
		}
		for pat in "${pats[@]}"; do
			[ "$pat" != - ] || continue
			demanded=1
			allowed+=("$pat")
			# shellcheck disable=SC2053
			[[ "$subject" == $pat\ * ]] && ok=1
		done
	done
	if [ "$demanded" = 1 ] && [ "$ok" = 0 ]; then
		fail "$m: subject '$subject' does not start with an allowed prefix: $(printf '%s\n' "${allowed[@]}" | sort -u | paste -sd'|' -)"
	fi
	# checkpatch --strict, in our checkout (a kernel tree for checkpatch.pl)
	name=${series_names[$((k - 1))]:-}
	ignore=''
	if [ "${#series_names[@]}" -eq "${#patches[@]}" ] && [ -f "$exceptions" ]; then
		ignore=$(awk -v n="$name" '!/^#/ && $1 == n { print $2 }' "$exceptions" | paste -sd, -)
	fi
	args=("${CHECKPATCH_ARGS[@]}")
	[ -z "$ignore" ] || args+=(--ignore="$ignore")
	rc=0
	res=$(checkpatch_pl "${args[@]}" "$(realpath "$f")" 2>&1) || rc=$?
	total_line=$(grep -E '^total: ' <<<"$res" | tail -n 1)
	{
		echo "### $m${ignore:+ (reviewed exceptions for $name: $ignore)}"
		printf '%s\n\n' "$res"
	} >>"$report"
	if [ "$rc" -ne 0 ] || ! grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$total_line"; then
		grep -E '^(ERROR|WARNING|CHECK):' <<<"$res" | sed "s/^/    $m: /" >&2 || true
		fail "$m: checkpatch --strict: ${total_line:-did not finish (exit $rc)}"
	fi
	log "     $m: $(wc -c <"$f") bytes, ${#pfiles[@]} files, ${total_line:-checkpatch ?}"
done

# --- round trip: git am of the mails on a clean base gives the series' tree
want=$(wgit rev-parse "$POSTED_SERIES^{tree}")
wgit checkout -q --force --detach "$POSTED_BASE"
wgit clean -q -f -d -x
applied=1
for k in "${!patches[@]}"; do
	f=${patches[$k]}
	if ! am_out=$(wgit am -q "$f" 2>&1); then
		wgit am --abort >/dev/null 2>&1 || true
		fail "$(basename "$f"): does not apply with git am: $(grep -E '^(error|fatal|Patch failed)' <<<"$am_out" | head -n 3 | paste -sd';' -)"
		applied=0
		break
	fi
done
if [ "$applied" = 1 ]; then
	got=$(wgit rev-parse 'HEAD^{tree}')
	if [ "$got" = "$want" ]; then
		log "round trip: git am of ${#patches[@]} mails on ${POSTED_BASE:0:12} gives tree $got, the tree of series ${POSTED_SERIES:0:12}"
	else
		wgit diff --stat "$POSTED_SERIES" HEAD >&2 || true
		fail "round trip: git am of the mails gives tree $got, but series ${POSTED_SERIES:0:12} has $want"
	fi
fi
{
	echo "### result"
	printf '%s\n' "${fails[@]:-all checks passed}"
} >>"$report"
log "${#patches[@]} patch mails${cover:+ and the cover letter} of v$POSTED_REVISION checked, ${#fails[@]} failures (report: $report)"
[ "${#fails[@]}" -eq 0 ] || die "the mails in $POSTING_DIR are not fit to send: ${#fails[@]} failures above"

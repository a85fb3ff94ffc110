#!/usr/bin/env bash
# posting.sh - the series as mails, written by b4 exactly as 'b4 send' would
# send them, into build/posting/; nothing is sent (no network is used).
#
# b4 is Debian bookworm's 0.12.  It works in a repository of its own,
# build/posting-work/linux: a sparse checkout (scripts/, the directories the
# series touches) that borrows the base's objects.  build/src/linux is only
# read, once, for the commit its branch "series" points at then; its branches
# and the user's tree are never written to.
#
# There the patches go on b4's prep branch (configs/posting.conf), each with a
# "Cc:" trailer per address that get_maintainer.pl gives for that patch alone:
# b4 0.12 sends every mail to the cover letter's To/Cc, and a patch also to the
# people named in its own trailers.  A patch you did not author also gets your
# Signed-off-by (you pass it on).  Then:
#   b4 prep -e <base commit>   the first time; later runs keep b4's cover
#                              commit (same change-id, revision, history)
#   b4 prep --force-revision V if V= differs from b4's revision
#   b4 prep --compare-to TAG   range-diff against version V-1, if recorded
#   b4 prep --edit-cover       docs/cover-letter.md, placeholders filled in
#   b4 prep --auto-to-cc       the To/Cc of every mail (configs/posting.conf)
#   b4 send --dry-run --no-sign -o build/posting
# Each version is kept as the tag posting/<branch>-vN there (the patches as
# mailed, for --compare-to) and its mails in build/posting-work/vN/.  A real
# 'b4 send' from that branch tags sent/<branch>-vN, which is preferred.
#
# The identity is the project's git identity (git config user.name/email).
# The user's global git config is not read by b4 here: the mails depend only
# on the repository.  scripts/posting-check.sh checks the mails.
#
# Environment: V (revision; default b4's, 1 at first), BUILD_DIR,
#              POSTING_CONF (another configs/posting.conf)
# Output: build/posting/*.eml, build/posting-work/{linux,vN,posting.env}
# Needs: make base apply

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git b4 perl flock

stage posting
load_base
if [ -n "${KSRC:-}" ] && { [ "${BASE_KIND:-}" != git ] || [ "$BASE_ORIGIN" != "$(cd "$KSRC" 2>/dev/null && pwd)" ]; }; then
	die "KSRC=$KSRC is not the base in $BUILD_DIR ($BASE_DESC): run 'make base apply' with it first"
fi
# shellcheck source=configs/base.conf
. "$CONFIG_DIR/base.conf"
posting_lock

# Read the series once: another process may rebuild the branch meanwhile.
series_commit=$(sgit rev-parse -q --verify 'refs/heads/series^{commit}') ||
	die "no applied series yet: run 'make apply' (scripts/apply.sh) first"
name=$(git -C "$TOP" config --get user.name || true)
email=$(git -C "$TOP" config --get user.email || true)
if [ -z "$name" ] || [ -z "$email" ]; then
	# what git itself would use (apply.sh's git am did)
	ident=$(git -C "$TOP" var GIT_COMMITTER_IDENT 2>/dev/null) ||
		die "no git identity: set user.name and user.email (git config, in $TOP or globally)"
	name=${ident%% <*} email=${ident#*<} email=${email%%>*}
	warn "user.name/user.email are not set: the mails come from git's guess, $name <$email>"
fi
branch=$(posting_conf branch | head -n 1)
[ -n "$branch" ] || die "$POSTING_CONF: no 'branch'"
series_to=$(posting_conf to | paste -sd, - | sed 's/,/, /g')
series_cc=$(posting_conf cc | paste -sd, - | sed 's/,/, /g')
read -ra gm_flags <<<"$(posting_conf get-maintainer | head -n 1)"
template=$TOP/docs/cover-letter.md
[ -f "$template" ] || die "no cover letter template $template"

repo=$POSTING_WORK/linux
b4log=$POSTING_WORK/b4.log
cover_file=$POSTING_WORK/cover.txt
mkdir -p "$POSTING_WORK"
: >"$b4log"

# git and b4 in our repository, blind to the user's global and system config
# (a global tag.gpgSign or sendemail.* must not change what is produced).
wgit() { GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$repo" "$@"; }
b4run() {
	local cfg=(
		"sendemail.smtpserver=/bin/false"
		"b4.send-no-patatt-sign=yes"
		"b4.send-series-to=$series_to"
		"b4.send-series-cc=$series_cc"
		"b4.send-auto-to-cmd=true"
		"b4.send-auto-cc-cmd=true"
		"core.editor=cp -- $(printf '%q' "$cover_file")"
	)
	local i envs=()
	for i in "${!cfg[@]}"; do
		envs+=("GIT_CONFIG_KEY_$i=${cfg[$i]%%=*}" "GIT_CONFIG_VALUE_$i=${cfg[$i]#*=}")
	done
	echo "+ b4 $*" >>"$b4log"
	(cd "$repo" && env GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
		GIT_CONFIG_COUNT="${#cfg[@]}" "${envs[@]}" b4 "$@")
}
# b4 ARGS: b4 with its messages in the log; on failure show them.
b4do() {
	b4run "$@" >>"$b4log" 2>&1 && return 0
	tail -n 20 "$b4log" >&2
	die "'b4 $*' failed (log: $b4log)"
}

# --- our repository: objects from the base's origin, the series fetched in
origin_git=$(git -C "$BASE_ORIGIN" rev-parse --path-format=absolute --git-common-dir) ||
	die "cannot read the base's origin $BASE_ORIGIN"
if [ -d "$repo/.git" ] && [ "$(wgit config --get mmseries.origin || true)" != "$BASE_ORIGIN" ]; then
	log "build/posting-work came from another base: starting afresh (earlier versions are dropped)"
	rm -rf "$repo" "$POSTING_WORK"/v[0-9]*
fi
if [ ! -d "$repo/.git" ]; then
	GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git init -q "$repo"
	echo "$origin_git/objects" >"$repo/.git/objects/info/alternates"
	wgit config mmseries.origin "$BASE_ORIGIN"
	wgit config advice.detachedHead false
fi
wgit config user.name "$name"
wgit config user.email "$email"
# leftovers of an interrupted run
wgit am --abort >/dev/null 2>&1 || true
wgit cherry-pick --abort >/dev/null 2>&1 || true
wgit cat-file -e "$BASE_COMMIT^{commit}" 2>/dev/null || die "base commit $BASE_COMMIT is not in $BASE_ORIGIN"
wgit update-ref refs/posting/base "$BASE_COMMIT"
wgit fetch -q --no-tags --no-write-fetch-head "$SRC_DIR" "$series_commit" ||
	die "could not fetch $series_commit from $SRC_DIR"
wgit update-ref refs/posting/series "$series_commit"
wgit merge-base --is-ancestor "$BASE_COMMIT" "$series_commit" ||
	die "series $series_commit is not on the base $BASE_COMMIT: run 'make apply' again"
[ -z "$(wgit rev-list --merges "$BASE_COMMIT..$series_commit")" ] || die "the series has merge commits"
mapfile -t commits < <(wgit rev-list --reverse "$BASE_COMMIT..$series_commit")
n=${#commits[@]}
[ "$n" -gt 0 ] || die "the series is empty: nothing to post"
mapfile -t files < <(wgit diff --name-only "$BASE_COMMIT" "$series_commit")

# Sparse checkout: scripts/, the directories the series touches, the top-level
# files, and the top-level directories that get_maintainer.pl and checkpatch.pl
# look for to recognise a kernel tree (a cone "DIR/.none" checks out DIR's own
# files only).
cones=(scripts)
for d in Documentation arch drivers fs include init ipc kernel lib; do cones+=("$d/.none"); done
for f in "${files[@]}"; do
	d=$(dirname "$f")
	[ "$d" = . ] || cones+=("$d")
done
mapfile -t cones < <(printf '%s\n' "${cones[@]}" | sort -u)
wgit sparse-checkout set --cone "${cones[@]}"
wgit checkout -q --force --detach "$series_commit"
wgit clean -q -f -d -x

# --- per patch: recipients from get_maintainer.pl, trailers, author
[ -f "$repo/scripts/get_maintainer.pl" ] || die "the base has no scripts/get_maintainer.pl"
# addr_of "Name <addr>": the address, lower case
addr_of() {
	local a
	a=$(sed -n 's/.*<\([^>]*\)>.*/\1/p; /</!p' <<<"$1" | head -n 1)
	echo "${a,,}"
}
global=" $(printf '%s\n' "$series_to" "$series_cc" | tr ',' '\n' | while read -r a; do
	[ -z "$a" ] || addr_of "$a"
done | paste -sd' ' -) "
msgs=() anames=() aemails=() adates=() signed_for=0 total_cc=0
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	msg=$(wgit log -1 --format=%B "$c")
	IFS=$'\t' read -r an ae ad < <(wgit log -1 --date=raw --format=$'%an\t%ae\t%ad' "$c")
	recips=$(wgit format-patch -1 --stdout "$c" | (cd "$repo" && perl scripts/get_maintainer.pl "${gm_flags[@]}")) ||
		die "get_maintainer.pl failed on patch $((i + 1)) ($(wgit log -1 --format=%s "$c"))"
	add=()
	while read -r r; do
		[ -n "$r" ] || continue
		a=$(addr_of "$r")
		case "$global" in *" $a "*) continue ;; esac
		# already named in a trailer of the patch
		grep -iE '^[A-Za-z-]+: ' <<<"$msg" | grep -qiF "$a" && continue
		[ "$a" != "${email,,}" ] || continue
		add+=("Cc: $r")
	done <<<"$recips"
	total_cc=$((total_cc + ${#add[@]}))
	if ! grep -i '^Signed-off-by:' <<<"$msg" | grep -qiF "<$email>"; then
		add+=("Signed-off-by: $name <$email>")
		signed_for=$((signed_for + 1))
	fi
	if [ "${#add[@]}" -gt 0 ]; then
		# keep one trailer block: a blank line only if the message ends in prose
		tail -n 1 <<<"$msg" | grep -qE '^[A-Za-z0-9-]+: ' || msg+=$'\n'
		msg+=$'\n'$(printf '%s\n' "${add[@]}")
	fi
	msgs+=("$msg") anames+=("$an") aemails+=("$ae") adates+=("$ad")
done
[ "$signed_for" -eq 0 ] ||
	warn "$signed_for patches get your Signed-off-by ($name <$email>): you pass on patches you did not sign off"
log "$n patches, $total_cc per-patch Cc: trailers from get_maintainer.pl"

# build_chain PARENT: the patches with their new messages on PARENT; prints the tip
build_chain() {
	local parent=$1 i
	for i in "${!commits[@]}"; do
		parent=$(printf '%s\n' "${msgs[$i]}" |
			GIT_AUTHOR_NAME=${anames[$i]} GIT_AUTHOR_EMAIL=${aemails[$i]} GIT_AUTHOR_DATE="@${adates[$i]}" \
				wgit commit-tree "${commits[$i]}^{tree}" -p "$parent")
	done
	echo "$parent"
}
plain_tip=$(build_chain "$BASE_COMMIT")

# --- b4's prep branch: its cover commit carried over, or a first enrollment
marker='--- b4-submit-tracking ---'
old_cover=''
if wgit rev-parse -q --verify "refs/heads/$branch" >/dev/null; then
	old_cover=$(wgit log -1 -F --grep="$marker" --format=%H "refs/heads/$branch")
fi
if [ -n "$old_cover" ]; then
	cover_commit=$(wgit log -1 --format=%B "$old_cover" | wgit commit-tree "$BASE_COMMIT^{tree}" -p "$BASE_COMMIT")
	wgit checkout -q --force -B "$branch" "$(build_chain "$cover_commit")"
	log "b4 branch $branch: cover commit kept, patches replaced"
else
	wgit checkout -q --force -B "$branch" "$plain_tip"
	b4do prep -e "$BASE_COMMIT"
	log "b4 branch $branch: enrolled on $BASE_COMMIT"
fi

info=$(b4run prep --show-info 2>>"$b4log") || die "'b4 prep --show-info' failed (log: $b4log)"
cur_rev=$(sed -n 's/^revision: //p' <<<"$info")
change_id=$(sed -n 's/^change-id: //p' <<<"$info")
rev=${V:-$cur_rev}
[[ "$rev" =~ ^[1-9][0-9]*$ ]] || die "V=$rev is not a revision number (1, 2, ...)"
[ "$rev" = "$cur_rev" ] || b4do prep --force-revision "$rev"

# --- the previous version, if one is recorded: range-diff and changelog
prev_tag='' range_diff='' prev_link=''
if [ "$rev" -gt 1 ]; then
	for t in "sent/$branch-v$((rev - 1))" "posting/$branch-v$((rev - 1))"; do
		if wgit rev-parse -q --verify "refs/tags/$t" >/dev/null; then
			prev_tag=$t
			break
		fi
	done
	if [ -n "$prev_tag" ]; then
		range_diff=$(b4run prep --compare-to "$prev_tag" 2>>"$b4log") ||
			die "'b4 prep --compare-to $prev_tag' failed (log: $b4log)"
	fi
	prev_link=$(b4run prep --show-revision 2>&1 | sed -n "s/^ *v$((rev - 1)): //p" | tail -n 1)
fi

# --- the cover letter: docs/cover-letter.md with its blocks and placeholders
patch_list() {
	local k=0 s
	while read -r s; do
		k=$((k + 1))
		printf '  %d/%d %s\n' "$k" "$n" "$s"
	done < <(wgit log --reverse --format=%s "$BASE_COMMIT..$series_commit")
}
# the Testing section: build/results/testing.txt, written by scripts/report.sh
# (make report) for the series head in testing.head
testing() {
	local txt=$RESULTS_DIR/testing.txt head
	if [ ! -f "$txt" ]; then
		echo "The build and boot matrix was not run for this posting, nor the"
		echo "static checks or the proof (make check writes build/results/testing.txt)."
		return
	fi
	cat "$txt"
	head=$(cat "$RESULTS_DIR/testing.head" 2>/dev/null || true)
	if [ "$head" != "$series_commit" ]; then
		warn "build/results/testing.txt is for series ${head:0:12}, not ${series_commit:0:12}: the cover says so"
		echo
		echo "Those results are for ${head:0:12}, not for the series posted"
		echo "here (${series_commit:0:12}); the two differ."
	fi
}
base_text() {
	case "${BASE_KIND:-debian}" in
	debian)
		# (no line may start with "Word: ": b4 would take it for a trailer)
		if [ "${BASE_FALLBACK:-0}" != 0 ]; then
			echo "The series is based on $BASE_DESC;"
			echo "the pinned $BASE_PKG $BASE_PKG_VERSION was not available."
		else
			echo "The series is based on Linux $BASE_RELEASE, from Debian's"
			echo "$BASE_PKG $BASE_PKG_VERSION."
		fi
		echo "The base-commit below is not a mainline commit: it is that source"
		echo "tree committed as a single, reproducible commit.  The series was"
		echo "checked to apply on it with git am.  Debian's patches on top of the"
		echo "release do not touch the files the series changes."
		;;
	*)
		echo "The series is based on $(git -C "$BASE_ORIGIN" describe --tags --always "$BASE_COMMIT" 2>/dev/null ||
			echo "$BASE_COMMIT"),"
		echo "the base-commit below, and was checked to apply there with git am."
		;;
	esac
}
changes() {
	[ "$rev" -gt 1 ] || return 0
	local notes=$TOP/docs/changes-v$rev.md line
	echo "---"
	echo "Changes in v$rev:"
	[ ! -f "$notes" ] || grep -v '^#' "$notes" || true
	if [ -z "$prev_tag" ]; then
		echo "- v$((rev - 1)) is not recorded in this build directory: no range-diff."
		return
	fi
	# the range-diff's pair lines: "1:  abc = 1:  def subject", "-:  ------- > 4:  abc ...";
	# a patch rewritten beyond recognition is "dropped" and "new" with one subject
	local kind same=0
	local -A dropped=() added=()
	while IFS=$'\t' read -r kind line; do
		case "$kind" in
		'<') dropped[$line]=1 ;;
		'>') added[$line]=1 ;;
		esac
	done < <(sed -nE 's/^ *[0-9-]+: +[0-9a-f-]+ ([<>]) +[0-9-]+: +[0-9a-f-]+ (.*)$/\1\t\2/p' <<<"$range_diff")
	while IFS=$'\t' read -r kind line; do
		case "$kind" in
		'=') same=$((same + 1)) ;;
		'!') echo "- changed: $line" ;;
		'<') [ -n "${added[$line]:-}" ] || echo "- dropped: $line" ;;
		'>') if [ -n "${dropped[$line]:-}" ]; then echo "- changed: $line"; else echo "- new: $line"; fi ;;
		esac
	done < <(sed -nE 's/^ *[0-9-]+: +[0-9a-f-]+ ([<>=!]) +[0-9-]+: +[0-9a-f-]+ (.*)$/\1\t\2/p' <<<"$range_diff")
	echo "- unchanged: $same of $n patches"
	[ -z "$prev_link" ] || echo "- Link to v$((rev - 1)): $prev_link"
	echo
	echo "Range-diff against v$((rev - 1)):"
	printf '%s\n' "$range_diff"
}
# in_series GLOB...: does the series change a file that matches a GLOB?
in_series() {
	local g f
	for g in "$@"; do
		for f in "${files[@]}"; do
			# shellcheck disable=SC2053
			[[ "$f" == $g ]] && return 0
		done
	done
	return 1
}
# Blocks: "#@if GLOB..." "#@elif GLOB..." "#@else" "#@end" (not nested): the
# first branch whose GLOBs match a file of the series is kept.  Other lines
# starting with "#" are comments.
render_cover() {
	local line keep=1 done=0 inblock=0
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		'#@if '* | '#@elif '*)
			if [ "${line%% *}" = '#@if' ]; then
				[ "$inblock" = 0 ] || die "$template: nested #@if"
				inblock=1 done=0
			fi
			[ "$inblock" = 1 ] || die "$template: #@elif outside #@if"
			keep=0
			if [ "$done" = 0 ]; then
				read -ra globs <<<"${line#* }"
				if in_series "${globs[@]}"; then keep=1 done=1; fi
			fi
			;;
		'#@else')
			[ "$inblock" = 1 ] || die "$template: #@else outside #@if"
			keep=$((1 - done)) done=1
			;;
		'#@end')
			[ "$inblock" = 1 ] || die "$template: #@end outside #@if"
			inblock=0 keep=1
			;;
		'#'*) ;;
		*)
			[ "$keep" = 1 ] || continue
			case "$line" in
			@PATCHES@) patch_list ;;
			@TESTING@) testing ;;
			@BASE@) base_text ;;
			@CHANGES@) changes ;;
			*) printf '%s\n' "$line" ;;
			esac
			;;
		esac
	done <"$template"
	[ "$inblock" = 0 ] || die "$template: #@if without #@end"
}
render_cover | cat -s | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$cover_file"
cover_subject=$(head -n 1 "$cover_file")
if [ -z "$cover_subject" ] || [ -n "$(sed -n 2p "$cover_file")" ]; then
	die "$template: the first line must be the subject, then a blank line"
fi
! grep -q EDITME "$cover_file" || die "$template: EDITME left in the cover letter"

b4do prep --edit-cover
b4do prep --auto-to-cc

# --- the mails
rm -rf "$POSTING_DIR.new"
b4do send --dry-run --no-sign -o "$POSTING_DIR.new"
mails=$(find "$POSTING_DIR.new" -maxdepth 1 -name '*.eml' | wc -l)
want=$((n == 1 ? 1 : n + 1))
[ "$mails" -eq "$want" ] || die "b4 wrote $mails mails, expected $want (log: $b4log)"
rm -rf "$POSTING_DIR"
mv "$POSTING_DIR.new" "$POSTING_DIR"
rm -rf "$POSTING_WORK/v$rev"
cp -r "$POSTING_DIR" "$POSTING_WORK/v$rev"

# this version, for the range-diff of the next (b4's tag format: the cover
# letter with base-commit: and change-id: lines, on the patches as mailed)
{
	cat "$cover_file"
	printf '\n---\nbase-commit: %s\nchange-id: %s\n' "$BASE_COMMIT" "$change_id"
} | wgit tag -f -a -F - "posting/$branch-v$rev" "$plain_tip" >/dev/null
{
	printf 'POSTED_SERIES=%q\n' "$series_commit"
	printf 'POSTED_BASE=%q\n' "$BASE_COMMIT"
	printf 'POSTED_TIP=%q\n' "$plain_tip"
	printf 'POSTED_REVISION=%q\n' "$rev"
	printf 'POSTED_BRANCH=%q\n' "$branch"
	printf 'POSTED_CHANGE_ID=%q\n' "$change_id"
	printf 'POSTED_PATCHES=%q\n' "$n"
} >"$POSTING_WORK/posting.env"

for f in "$POSTING_DIR"/*.eml; do
	log "$(basename "$f")"
	for h in Subject To Cc; do
		v=$(mail_header "$h" "$f")
		[ -z "$v" ] || log "    $v"
	done
done
log "v$rev of $n patches (series ${series_commit:0:12} on ${BASE_COMMIT:0:12}), change-id $change_id"
log "mails: $POSTING_DIR/ ; b4 branch '$branch' in $repo${prev_tag:+ ; range-diff against $prev_tag}"

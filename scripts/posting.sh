#!/usr/bin/env bash
# posting.sh - each topic of the series as mails, written by b4 exactly as
# 'b4 send' would send them, into build/posting/<topic>/; nothing is sent (no
# network is used).
#
# A topic ("#@topic NAME" in the series file, configs/topics/NAME.conf) is
# posted alone, to its own recipients, with its own cover letter
# (docs/cover-letters/NAME.md), subject prefix ([PATCH] or [RFC PATCH]),
# change-id and revision: the patches are those of refs/topics/NAME, the
# topic applied alone to the base by scripts/topics.sh (make topics).
#
# b4 is Debian bookworm's 0.12.  It works in a repository of its own,
# build/posting-work/linux: a sparse checkout (scripts/, the directories the
# series touches) that borrows the base's objects.  build/src/linux is only
# read; its branches and the user's tree are never written to.
#
# There each topic is b4's prep branch "<branch>-NAME" (configs/posting.conf),
# each patch with a "Cc:" trailer per address that get_maintainer.pl gives for
# that patch alone (b4 0.12 sends every mail to the cover letter's To/Cc, and
# a patch also to the people named in its own trailers), and with the notes
# of its patch file (the text between "---" and the diffstat) below a "---"
# of its message, where 'git am' drops them again.  Then:
#   b4 prep -e <base commit>   the first time; later runs keep b4's cover
#                              commit (same change-id, revision, history)
#   b4 prep --set-prefixes     RFC for an RFC topic, none otherwise
#   b4 prep --force-revision V if V differs from b4's revision
#   b4 prep --edit-cover       the cover letter, placeholders filled in
#   b4 prep --auto-to-cc       the To/Cc of every mail
#   b4 send --dry-run --no-sign --not-me-too -o build/posting/NAME
#                              (never to you, nor to configs/posting.conf's
#                              "exclude" addresses, such as stable@)
# The cover letter's range-diff is against version V-1 of the topic: the
# posting/<branch>-NAME-v(V-1) tag of an earlier run (or b4's sent/ tag), else
# that version's patches from this repository's history (configs/posting.conf
# "previous", recorded by make topics).
#
# Identity: by default the mails come from the project's git identity (git
# config user.name/email of this repository), the author of every patch.
# POST_AS="Name <address>" (or POST_AS=me: your global git identity) posts
# the patches as that person's own: From:, author and Signed-off-by: are the
# sender's, the project's Signed-off-by: is dropped, and a line below "---"
# says where the patch comes from.  The README says when to use which.
#
# Environment: TOPIC (a name or a comma-separated list; default every topic),
#              V (revision; default configs/posting.conf "revision"),
#              POST_AS, BUILD_DIR, POSTING_CONF
# Output: build/posting/<topic>/*.eml, build/posting-work/{linux,<topic>/vN,
#         <topic>.env}
# Needs: make base apply topics (and make report, for the test results)

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git b4 perl flock python3

stage posting
load_base
if [ -n "${KSRC:-}" ] && { [ "${BASE_KIND:-}" != git ] || [ "$BASE_ORIGIN" != "$(cd "$KSRC" 2>/dev/null && pwd)" ]; }; then
	die "KSRC=$KSRC is not the base in $BUILD_DIR ($BASE_DESC): run 'make base apply' with it first"
fi
# shellcheck source=configs/base.conf
. "$CONFIG_DIR/base.conf"
posting_lock
require_series
load_topics
select_topics
topics=("${SELECTED_TOPICS[@]}")

# Read the series once: another process may rebuild the branch meanwhile.
series_commit=$(sgit rev-parse -q --verify 'refs/heads/series^{commit}')
[ "$(cat "$RESULTS_DIR/topics/series.head" 2>/dev/null || true)" = "$series_commit" ] ||
	die "the topic trees are not of the current series ${series_commit:0:12}: run 'make topics' (scripts/topics.sh) first"
for t in "${topics[@]}"; do
	sgit rev-parse -q --verify "$(topic_ref "$t")" >/dev/null ||
		die "no tree of topic $t yet: run 'make topics' (scripts/topics.sh) first"
done

# --- identities: the project's (this repository's git config), the sender's
project_ident() {
	local name email ident
	name=$(git -C "$TOP" config --get user.name || true)
	email=$(git -C "$TOP" config --get user.email || true)
	if [ -z "$name" ] || [ -z "$email" ]; then
		# what git itself would use (apply.sh's git am did)
		ident=$(git -C "$TOP" var GIT_COMMITTER_IDENT 2>/dev/null) ||
			die "no git identity: set user.name and user.email (git config, in $TOP or globally)"
		name=${ident%% <*} email=${ident#*<} email=${email%%>*}
		warn "user.name/user.email are not set: the mails come from git's guess, $name <$email>"
	fi
	printf '%s\t%s\n' "$name" "$email"
}
IFS=$'\t' read -r proj_name proj_email < <(project_ident)
case "${POST_AS:-}" in
'')
	name=$proj_name email=$proj_email
	;;
me)
	name=$(git config --global --get user.name || true)
	email=$(git config --global --get user.email || true)
	if [ -z "$name" ] || [ -z "$email" ]; then
		die "POST_AS=me: your global git identity is not set (git config --global user.name / user.email)"
	fi
	;;
*)
	[[ "$POST_AS" =~ ^([^<>]*[^<>[:space:]])[[:space:]]*\<([^<>@[:space:]]+@[^<>@[:space:]]+)\>$ ]] ||
		die "POST_AS='$POST_AS' is not 'Full Name <address>' (or 'me')"
	name=${BASH_REMATCH[1]} email=${BASH_REMATCH[2]}
	;;
esac
adopt=0
if [ "${email,,}" != "${proj_email,,}" ]; then
	adopt=1
	log "POST_AS: the patches are posted as $name <$email>'s own (author, From:, Signed-off-by:)"
fi

branch=$(posting_conf branch | head -n 1)
[ -n "$branch" ] || die "$POSTING_CONF: no 'branch'"
default_rev=$(posting_conf revision | head -n 1)
read -ra gm_flags <<<"$(posting_conf get-maintainer | head -n 1)"
exclude=$(posting_conf exclude | paste -sd, -)

repo=$POSTING_WORK/linux
b4log=$POSTING_WORK/b4.log
cover_file=$POSTING_WORK/cover.txt
mkdir -p "$POSTING_WORK" "$POSTING_DIR"
: >"$b4log"

# git and b4 in our repository, blind to the user's global and system config
# (a global tag.gpgSign or sendemail.* must not change what is produced).
wgit() { GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$repo" "$@"; }
# b4run ARGS: b4 in our repository, with the current topic's To/Cc
b4run() {
	local cfg=(
		"sendemail.smtpserver=/bin/false"
		"b4.send-no-patatt-sign=yes"
		"b4.send-series-to=$series_to"
		"b4.send-series-cc=$series_cc"
		"b4.send-auto-to-cmd=true"
		"b4.send-auto-cc-cmd=true"
		"b4.email-exclude=$exclude"
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
# b4do ARGS: b4 with its messages in the log; on failure show them.
b4do() {
	b4run "$@" >>"$b4log" 2>&1 && return 0
	tail -n 20 "$b4log" >&2
	die "'b4 $*' failed (log: $b4log)"
}

# --- our repository: objects from the base's origin, the topics fetched in
origin_git=$(git -C "$BASE_ORIGIN" rev-parse --path-format=absolute --git-common-dir) ||
	die "cannot read the base's origin $BASE_ORIGIN"
if [ -d "$repo/.git" ] && [ "$(wgit config --get mmseries.origin || true)" != "$BASE_ORIGIN" ]; then
	log "build/posting-work came from another base: starting afresh (earlier versions are dropped)"
	rm -rf "$repo"
	for t in "${TOPICS[@]}"; do rm -rf "${POSTING_WORK:?}/$t"; done
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
wgit fetch -q --no-tags --no-write-fetch-head "$SRC_DIR" "+$series_commit:refs/posting/series" \
	'+refs/topics/*:refs/topics/*' '+refs/topics-prev/*:refs/topics-prev/*' ||
	die "could not fetch the series and the topics from $SRC_DIR"
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
[ -f "$repo/scripts/get_maintainer.pl" ] || die "the base has no scripts/get_maintainer.pl"

# addr_of "Name <addr>": the address, lower case
addr_of() {
	local a
	a=$(sed -n 's/.*<\([^>]*\)>.*/\1/p; /</!p' <<<"$1" | head -n 1)
	echo "${a,,}"
}
# addr_set LIST...: the addresses of comma-separated "Name <addr>" lists,
# lower case, separated by spaces
addr_set() {
	local a
	printf '%s\n' "$@" | tr ',' '\n' | while read -r a; do
		[ -z "$a" ] || addr_of "$a"
	done | paste -sd' ' -
}
# patch_notes FILE: the notes of a git format-patch file, the text between
# its first "---" line and the diffstat (or the diff), without blank edges
patch_notes() {
	awk '
		!sep && /^---$/ { sep = 1; next }
		!sep { next }
		/^ .* \| +[0-9]+ ?[-+]*$/ || /^ .* \| +Bin / || /^ [0-9]+ files? changed/ || /^diff --git / { exit }
		{ print }' "$1" | sed -e '/./,$!d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# --- the cover letter: docs/cover-letters/<topic>.md, placeholders filled in
patch_list() {
	local k=0 s
	while read -r s; do
		k=$((k + 1))
		printf '  %d/%d %s\n' "$k" "$n" "$s"
	done < <(wgit log --reverse --format=%s "$BASE_COMMIT..$tip")
}
# the Testing section: build/results/testing-<topic>.txt, written by
# scripts/report.sh (make report) for the series head in testing.head
testing() {
	local txt=$RESULTS_DIR/testing-$topic.txt head
	if [ ! -f "$txt" ]; then
		echo "The build and boot matrix was not run for this posting, nor the"
		echo "static checks or the proof (make check writes build/results/testing-*.txt)."
		return
	fi
	cat "$txt"
	head=$(cat "$RESULTS_DIR/testing.head" 2>/dev/null || true)
	if [ "$head" != "$series_commit" ]; then
		warn "build/results/testing-$topic.txt is for series ${head:0:12}, not ${series_commit:0:12}: the cover says so"
		echo
		echo "Those results are for the whole series at ${head:0:12}, not"
		echo "for the series this topic was taken from (${series_commit:0:12});"
		echo "the two differ."
	fi
}
base_text() {
	case "${BASE_KIND:-debian}" in
	debian)
		# (no line may start with "Word: ": b4 would take it for a trailer)
		if [ "${BASE_FALLBACK:-0}" != 0 ]; then
			echo "The patches are based on $BASE_DESC;"
			echo "the pinned $BASE_PKG $BASE_PKG_VERSION was not available."
		else
			echo "The patches are based on Linux $BASE_RELEASE, from Debian's"
			echo "$BASE_PKG $BASE_PKG_VERSION."
		fi
		echo "The base-commit below is not a mainline commit: it is that source"
		echo "tree committed as a single, reproducible commit.  The patches were"
		echo "checked to apply on it with git am.  Debian's patches on top of the"
		echo "release do not touch the files they change."
		;;
	*)
		echo "The patches are based on $(git -C "$BASE_ORIGIN" describe --tags --always "$BASE_COMMIT" 2>/dev/null ||
			echo "$BASE_COMMIT"),"
		echo "the base-commit below, and were checked to apply there with git am."
		;;
	esac
}
changes() {
	[ "$rev" -gt 1 ] || return 0
	local notes=$TOP/docs/changes-v$rev-$topic.md
	echo "---"
	echo "Changes in v$rev:"
	[ ! -f "$notes" ] || grep -v '^#' "$notes" || true
	if [ -z "$range_diff" ]; then
		echo "- v$((rev - 1)) is not recorded in this build directory: no range-diff."
		return
	fi
	# without notes of our own: what the range-diff says, patch by patch
	[ -f "$notes" ] || changes_from_range_diff
	echo
	echo "Range-diff against v$((rev - 1)) ($prev_desc):"
	printf '%s\n' "$range_diff"
}
changes_from_range_diff() {
	# the range-diff's pair lines: "1:  abc = 1:  def subject", "-:  ------- > 4:  abc ...";
	# a patch rewritten beyond recognition is "dropped" and "new" with one subject
	# (compared without case: v2 moved x86 subjects to tip style)
	local kind line same=0
	local -A dropped=() added=()
	while IFS=$'\t' read -r kind line; do
		case "$kind" in
		'<') dropped[${line,,}]=1 ;;
		'>') added[${line,,}]=1 ;;
		esac
	done < <(sed -nE 's/^ *[0-9-]+: +[0-9a-f-]+ ([<>]) +[0-9-]+: +[0-9a-f-]+ (.*)$/\1\t\2/p' <<<"$range_diff")
	while IFS=$'\t' read -r kind line; do
		case "$kind" in
		'=') same=$((same + 1)) ;;
		'!') echo "- changed: $line" ;;
		'<') [ -n "${added[${line,,}]:-}" ] || echo "- dropped: $line" ;;
		'>') if [ -n "${dropped[${line,,}]:-}" ]; then echo "- changed: $line"; else echo "- new: $line"; fi ;;
		esac
	done < <(sed -nE 's/^ *[0-9-]+: +[0-9a-f-]+ ([<>=!]) +[0-9-]+: +[0-9a-f-]+ (.*)$/\1\t\2/p' <<<"$range_diff")
	echo "- unchanged: $same of $n patches"
}
render_cover() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		'#'*) ;;
		@PATCHES@) patch_list ;;
		@TESTING@) testing ;;
		@BASE@) base_text ;;
		@CHANGES@) changes ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$template"
}

# post_topic NAME: the topic's mails into build/posting/NAME
post_topic() {
	topic=$1
	local tb=$branch-$topic dir=$POSTING_DIR/$topic prefix
	local -a commits msgs anames aemails adates patchfiles
	template=$(topic_conf "$topic" cover | head -n 1)
	[[ "$template" == /* ]] || template=$TOP/$template
	[ -f "$template" ] || die "configs/topics/$topic.conf: no cover letter $template"
	series_to=$(topic_conf "$topic" to | paste -sd, - | sed 's/,/, /g')
	series_cc=$(topic_conf "$topic" cc | paste -sd, - | sed 's/,/, /g')
	prefix=$(topic_conf "$topic" subject-prefix | head -n 1)
	tip=$(wgit rev-parse "$(topic_ref "$topic")")
	mapfile -t commits < <(wgit rev-list --reverse "$BASE_COMMIT..$tip")
	mapfile -t patchfiles < <(topic_patches "$topic")
	n=${#commits[@]}
	[ "$n" -eq "${#patchfiles[@]}" ] ||
		die "topic $topic: refs/topics/$topic has $n commits, the series ${#patchfiles[@]} patches: run 'make topics'"

	# per patch: recipients from get_maintainer.pl; those that go to every mail
	# are the series Cc:, the others become Cc: trailers of their patch (b4 0.12
	# addresses a single patch no other way)
	local global i c msg an ae ad add r a notes total_cc=0 signed_for=0 common='' need
	local -a recips_of=()
	local -A count=() first_form=()
	for i in "${!commits[@]}"; do
		recips_of[i]=$(wgit format-patch -1 --stdout "${commits[$i]}" |
			(cd "$repo" && perl scripts/get_maintainer.pl "${gm_flags[@]}" 2>>"$b4log")) ||
			die "get_maintainer.pl failed on $(basename "${patchfiles[$i]}")"
		while read -r r; do
			[ -n "$r" ] || continue
			a=$(addr_of "$r")
			count[$a]=$((${count[$a]:-0} + 1))
			first_form[$a]=${first_form[$a]:-$r}
		done < <(sort -u <<<"${recips_of[$i]}")
	done
	global=" $(addr_set "$series_to" "$series_cc") "
	# "recipients all" (the default): every mail of the topic to everyone that
	# get_maintainer.pl names for any of its patches; "own": a patch only to its own
	need=$n
	[ "$(topic_conf "$topic" recipients | head -n 1)" = own ] || need=1
	for a in "${!count[@]}"; do
		[ "${count[$a]}" -ge "$need" ] || continue
		case "$global" in *" $a "*) continue ;; esac
		[ "$a" != "${email,,}" ] || continue
		common+="${common:+, }${first_form[$a]}"
	done
	if [ -n "$common" ]; then
		common=$(tr ',' '\n' <<<"$common" | sed 's/^ *//' | sort | paste -sd, - | sed 's/,/, /g')
		series_cc+="${series_cc:+, }$common"
		global=" $(addr_set "$series_to" "$series_cc") "
	fi
	msgs=() anames=() aemails=() adates=()
	for i in "${!commits[@]}"; do
		c=${commits[$i]}
		msg=$(wgit log -1 --format=%B "$c")
		IFS=$'\t' read -r an ae ad < <(wgit log -1 --date=raw --format=$'%an\t%ae\t%ad' "$c")
		if [ "$adopt" = 1 ] && [ "${ae,,}" = "${proj_email,,}" ]; then
			# the sender's own patch: the project's sign-off goes, the sender's comes
			msg=$(grep -viF "Signed-off-by: $proj_name <$proj_email>" <<<"$msg")
			an=$name ae=$email
		fi
		add=()
		while read -r r; do
			[ -n "$r" ] || continue
			a=$(addr_of "$r")
			case "$global" in *" $a "*) continue ;; esac
			# already named in a trailer of the patch
			grep -iE '^[A-Za-z-]+: ' <<<"$msg" | grep -qiF "$a" && continue
			[ "$a" != "${email,,}" ] || continue
			add+=("Cc: $r")
		done <<<"${recips_of[$i]}"
		total_cc=$((total_cc + ${#add[@]}))
		if ! grep -i '^Signed-off-by:' <<<"$msg" | grep -qiF "<$email>"; then
			add+=("Signed-off-by: $name <$email>")
			[ "$adopt" = 1 ] || signed_for=$((signed_for + 1))
		fi
		if [ "${#add[@]}" -gt 0 ]; then
			# keep one trailer block: a blank line only if the message ends in prose
			tail -n 1 <<<"$msg" | grep -qE '^[A-Za-z0-9-]+: ' || msg+=$'\n'
			msg+=$'\n'$(printf '%s\n' "${add[@]}")
		fi
		notes=$(patch_notes "${patchfiles[$i]}")
		if [ "$adopt" = 1 ]; then
			notes+="${notes:+$'\n\n'}This patch was written and tested in the mm-series project, as"
			notes+=$'\n'"$proj_name; $name adopted it and posts it as their own."
		fi
		[ -z "$notes" ] || msg+=$'\n---\n'"$notes"
		msgs+=("$msg") anames+=("$an") aemails+=("$ae") adates+=("$ad")
	done
	[ "$signed_for" -eq 0 ] ||
		warn "topic $topic: $signed_for patches get your Signed-off-by ($name <$email>): you pass on patches you did not sign off"

	# build_chain PARENT: the patches with their new messages on PARENT; prints the tip
	build_chain() {
		local parent=$1 j
		for j in "${!commits[@]}"; do
			parent=$(printf '%s\n' "${msgs[$j]}" |
				GIT_AUTHOR_NAME=${anames[$j]} GIT_AUTHOR_EMAIL=${aemails[$j]} GIT_AUTHOR_DATE="@${adates[$j]}" \
					wgit commit-tree "${commits[$j]}^{tree}" -p "$parent")
		done
		echo "$parent"
	}
	local plain_tip marker='--- b4-submit-tracking ---' old_cover='' cover_commit
	plain_tip=$(build_chain "$BASE_COMMIT")

	# b4's prep branch: its cover commit carried over, or a first enrollment
	if wgit rev-parse -q --verify "refs/heads/$tb" >/dev/null; then
		old_cover=$(wgit log -1 -F --grep="$marker" --format=%H "refs/heads/$tb")
	fi
	if [ -n "$old_cover" ]; then
		cover_commit=$(wgit log -1 --format=%B "$old_cover" | wgit commit-tree "$BASE_COMMIT^{tree}" -p "$BASE_COMMIT")
		wgit checkout -q --force -B "$tb" "$(build_chain "$cover_commit")"
	else
		wgit checkout -q --force -B "$tb" "$plain_tip"
		b4do prep -e "$BASE_COMMIT"
		log "topic $topic: b4 branch $tb enrolled on ${BASE_COMMIT:0:12}"
	fi
	if [ "$prefix" = 'PATCH RFC' ]; then
		b4do prep --set-prefixes RFC
	else
		b4do prep --set-prefixes ''
	fi

	local info cur_rev change_id
	info=$(b4run prep --show-info 2>>"$b4log") || die "'b4 prep --show-info' failed (log: $b4log)"
	cur_rev=$(sed -n 's/^revision: //p' <<<"$info")
	change_id=$(sed -n 's/^change-id: //p' <<<"$info")
	rev=${V:-${default_rev:-$cur_rev}}
	[[ "$rev" =~ ^[1-9][0-9]*$ ]] || die "V=$rev is not a revision number (1, 2, ...)"
	[ "$rev" = "$cur_rev" ] || b4do prep --force-revision "$rev"

	# the previous version: a tag of an earlier run, or the recorded history
	local t prev_from='' prev_to=''
	range_diff='' prev_desc=''
	if [ "$rev" -gt 1 ]; then
		for t in "sent/$tb-v$((rev - 1))" "posting/$tb-v$((rev - 1))"; do
			wgit rev-parse -q --verify "refs/tags/$t" >/dev/null || continue
			prev_to=$(wgit rev-parse "$t^{commit}")
			prev_from=$(wgit tag -l --format='%(contents)' "$t" | sed -n 's/^base-commit: //p' | head -n 1)
			prev_desc="posted from this build directory, tag $t"
			break
		done
		if [ -z "$prev_to" ] && wgit rev-parse -q --verify "refs/topics-prev/v$((rev - 1))/$topic-to" >/dev/null; then
			prev_from=$(wgit rev-parse "refs/topics-prev/v$((rev - 1))/$topic-from")
			prev_to=$(wgit rev-parse "refs/topics-prev/v$((rev - 1))/$topic-to")
			local vtotal vnums
			vtotal=$(git -C "$TOP" show "$(posting_conf previous | awk -v v=$((rev - 1)) '$1 == v { print $2 }'):series" 2>/dev/null |
				grep -cv '^[[:space:]]*\(#\|$\)' || true)
			vnums=$(topic_conf "$topic" previous-patches | awk -v v=$((rev - 1)) -v t="$vtotal" \
				'$1 == v { for (i = 2; i <= NF; i++) printf "%s%d/%s", (i > 2 ? ", " : ""), $i + 0, t }')
			prev_desc="v$((rev - 1)) was one series of several topics; these were its $vnums"
		fi
		# like with like: a tag of ours holds the patches as mailed (Cc: trailers,
		# notes), a version from this repository's history the plain patches
		local cmp_tip=$plain_tip
		[[ "$prev_desc" != v*" was one series"* ]] || cmp_tip=$tip
		if [ -n "$prev_to" ]; then
			range_diff=$(wgit range-diff --no-color "${prev_from:-$BASE_COMMIT}..$prev_to" "$BASE_COMMIT..$cmp_tip") ||
				die "topic $topic: git range-diff against v$((rev - 1)) failed"
		fi
	fi

	render_cover | sed -e "/./,\$!d" | cat -s | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$cover_file"
	local cover_subject mails want
	cover_subject=$(head -n 1 "$cover_file")
	if [ -z "$cover_subject" ] || [ -n "$(sed -n 2p "$cover_file")" ]; then
		die "$template: the first line must be the subject, then a blank line"
	fi
	! grep -q EDITME "$cover_file" || die "$template: EDITME left in the cover letter"
	b4do prep --edit-cover
	b4do prep --auto-to-cc

	# the mails
	rm -rf "$dir.new"
	b4do send --dry-run --no-sign --not-me-too -o "$dir.new"
	mails=$(find "$dir.new" -maxdepth 1 -name '*.eml' | wc -l)
	want=$((n == 1 ? 1 : n + 1))
	[ "$mails" -eq "$want" ] || die "topic $topic: b4 wrote $mails mails, expected $want (log: $b4log)"
	rm -rf "$dir"
	mv "$dir.new" "$dir"
	rm -rf "${POSTING_WORK:?}/$topic/v$rev"
	mkdir -p "$POSTING_WORK/$topic"
	cp -r "$dir" "$POSTING_WORK/$topic/v$rev"

	# this version, for the range-diff of the next (b4's tag format: the cover
	# letter with base-commit: and change-id: lines, on the patches as mailed)
	{
		cat "$cover_file"
		printf '\n---\nbase-commit: %s\nchange-id: %s\n' "$BASE_COMMIT" "$change_id"
	} | wgit tag -f -a -F - "posting/$tb-v$rev" "$plain_tip" >/dev/null
	{
		printf 'POSTED_TOPIC=%q\n' "$topic"
		printf 'POSTED_SERIES=%q\n' "$series_commit"
		printf 'POSTED_TOPIC_TREE=%q\n' "$(wgit rev-parse "$tip^{tree}")"
		printf 'POSTED_BASE=%q\n' "$BASE_COMMIT"
		printf 'POSTED_TIP=%q\n' "$plain_tip"
		printf 'POSTED_REVISION=%q\n' "$rev"
		printf 'POSTED_BRANCH=%q\n' "$tb"
		printf 'POSTED_CHANGE_ID=%q\n' "$change_id"
		printf 'POSTED_PATCHES=%q\n' "$n"
		printf 'POSTED_PREFIX=%q\n' "$prefix"
		printf 'POSTED_FROM=%q\n' "$name <$email>"
	} >"$POSTING_WORK/$topic.env"

	log "topic $topic: [$prefix v$rev] $n patches, $total_cc per-patch Cc: trailers, to: $series_to${prev_desc:+; range-diff against v$((rev - 1))}"
	local f h v
	for f in "$dir"/*.eml; do
		log "  $(basename "$f")"
		for h in Subject To Cc; do
			v=$(mail_header "$h" "$f")
			[ -z "$v" ] || log "      $v"
		done
	done
}

# mails of the old one-series layout (build/posting/*.eml) would be mistaken for a topic's
rm -f "$POSTING_DIR"/*.eml
for topic in "${topics[@]}"; do
	post_topic "$topic"
done
log "${#topics[@]} topics (series ${series_commit:0:12} on ${BASE_COMMIT:0:12}): $POSTING_DIR/{$(printf '%s\n' "${topics[@]}" | paste -sd, -)}"

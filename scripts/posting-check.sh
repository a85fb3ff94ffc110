#!/usr/bin/env bash
# posting-check.sh - the mails of 'make posting' (build/posting/<topic>/*.eml)
# are fit to send, topic by topic.  Any failure names the topic and the mail,
# and exits 1.
#
# Round trips, in build/posting-work/linux on a clean checkout of the base
# commit the mails were made on: 'git am' of the topic's patch mails in order,
# and 'git am' of what 'b4 am' makes of the topic's mails read as one mbox (as
# a maintainer picks a thread up from the list); each must give the tree of
# refs/topics/<topic>, the topic applied alone to the base, which make topics
# built (same tree hash).
# Every mail: no larger than max-mail-bytes (configs/posting.conf); the
# numbering [PATCH vN k/M] is complete; the cover letter (or the one patch)
# names the base in its base-commit: line.
# Every patch mail: a Signed-off-by: by the sender (From:) and by the author
# (an in-body From:, if any); a subject prefix that configs/posting.conf
# allows for the files the patch changes; scripts/checkpatch.pl --strict --codespell with
# 0 errors, 0 warnings and 0 checks.  configs/checkpatch-exceptions apply as
# in scripts/checkpatch.sh, to the patch file at the same place in the series.
#
# The subject prefix is the topic's ([PATCH vN] or [RFC PATCH vN]).
#
# Environment: TOPIC (a name or a comma-separated list; default every topic),
#              BUILD_DIR, POSTING_CONF, CHECKPATCH_EXCEPTIONS, SERIES, PATCHES
# Output: build/results/lint/posting-check.txt
# Needs: make posting (no kernel build)

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git perl flock b4

stage posting-check
load_base
posting_lock
require_series
load_topics
select_topics
topics=("${SELECTED_TOPICS[@]}")
repo=$POSTING_WORK/linux
[ -d "$repo/.git" ] || die "no mails yet: run 'make posting' (scripts/posting.sh) first"
for t in "${topics[@]}"; do
	if [ ! -f "$POSTING_WORK/$t.env" ] || [ ! -d "$POSTING_DIR/$t" ]; then
		die "no mails of topic $t yet: run 'make posting' (scripts/posting.sh) first"
	fi
done
wgit() { GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$repo" "$@"; }
exceptions=${CHECKPATCH_EXCEPTIONS:-$CONFIG_DIR/checkpatch-exceptions}
max_bytes=$(posting_conf max-mail-bytes | head -n 1)
[[ "$max_bytes" =~ ^[0-9]+$ ]] || die "$POSTING_CONF: max-mail-bytes must be a number of bytes"
report=$RESULTS_DIR/lint/posting-check.txt
mkdir -p "$(dirname "$report")"
: >"$report"
tmp=$(mktemp -d)
# leave a b4 branch checked out, as 'make posting' did
POSTED_BRANCH=''
trap 'rc=$?; wgit am --abort >/dev/null 2>&1 || true
	[ -z "$POSTED_BRANCH" ] || wgit checkout -q --force "$POSTED_BRANCH" 2>/dev/null || true
	rm -rf "$tmp"; stage_end $rc' EXIT

current=$(sgit rev-parse -q --verify 'refs/heads/series^{commit}' 2>/dev/null || true)
checkpatch_ready
fails=()
fail() {
	fails+=("$topic: $1")
	log "FAIL $topic: $1"
}

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

# am_tree MAILS...: git am of the mails on a clean base; prints the tree, or
# fails naming the mail that does not apply
am_tree() {
	local f am_out
	wgit checkout -q --force --detach "$POSTED_BASE"
	wgit clean -q -f -d -x
	for f in "$@"; do
		if ! am_out=$(wgit am -q "$f" 2>&1); then
			wgit am --abort >/dev/null 2>&1 || true
			echo "$(basename "$f") does not apply with git am: $(grep -E '^(error|fatal|Patch failed)' <<<"$am_out" | head -n 3 | paste -sd';' -)"
			return 1
		fi
	done
	wgit rev-parse 'HEAD^{tree}'
}

# check_topic NAME: every check of the topic's mails
check_topic() {
	topic=$1
	local dir=$POSTING_DIR/$1 f m size subj k cover='' total='' first want_pfx
	local -a patches=() series_names=()
	# shellcheck source=/dev/null
	. "$POSTING_WORK/$topic.env"
	[ "$current" = "$POSTED_SERIES" ] ||
		warn "topic $topic: the mails are for series ${POSTED_SERIES:0:12}; branch series is now ${current:0:12}: run 'make posting' again"
	[ "$POSTED_TOPIC_TREE" = "$(sgit rev-parse "$(topic_ref "$topic")^{tree}" 2>/dev/null)" ] ||
		warn "topic $topic: refs/topics/$topic changed since 'make posting': run it again"
	echo "## topic $topic" >>"$report"

	# the mails, in the order of their numbers
	for f in "$dir"/*.eml; do
		[ -e "$f" ] || {
			fail "no mails in $dir"
			return
		}
		m=$(basename "$f")
		size=$(stat -c %s "$f")
		[ "$size" -le "$max_bytes" ] || fail "$m: $size bytes, more than max-mail-bytes $max_bytes"
		subj=$(mail_header Subject "$f")
		# b4 writes no "v1"
		want_pfx="[$POSTED_PREFIX"
		[ "$POSTED_REVISION" = 1 ] || want_pfx+=" v$POSTED_REVISION"
		case "$subj" in
		"Subject: $want_pfx"[\ \]]*) ;;
		*) fail "$m: the subject does not start with $want_pfx ($subj)" ;;
		esac
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
	[ "${#patches[@]}" -eq "${total:-0}" ] || fail "${#patches[@]} patch mails, numbered /${total:-?}"
	[ "${#patches[@]}" -eq "$POSTED_PATCHES" ] ||
		fail "${#patches[@]} patch mails, but 'make posting' made $POSTED_PATCHES"
	first=${cover:-${patches[1]:-}}
	if [ -n "$first" ] && ! grep -qx "base-commit: $POSTED_BASE" "$first"; then
		fail "$(basename "$first"): no 'base-commit: $POSTED_BASE' line"
	fi

	# per patch mail
	while read -r p; do series_names+=("$(basename "$p")"); done < <(topic_patches "$topic")
	[ "${#series_names[@]}" -eq "${#patches[@]}" ] ||
		warn "topic $topic: the series file has ${#series_names[@]} patches, the mails ${#patches[@]}: checkpatch exceptions not applied"
	local sender author sobs subject pf pat ok demanded name ignore rc res total_line
	local -a pfiles pats allowed args
	for k in "${!patches[@]}"; do
		f=${patches[$k]}
		m=$(basename "$f")
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
			echo "### $topic/$m${ignore:+ (reviewed exceptions for $name: $ignore)}"
			printf '%s\n\n' "$res"
		} >>"$report"
		if [ "$rc" -ne 0 ] || ! grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$total_line"; then
			grep -E '^(ERROR|WARNING|CHECK):' <<<"$res" | sed "s/^/    $topic\/$m: /" >&2 || true
			fail "$m: checkpatch --strict: ${total_line:-did not finish (exit $rc)}"
		fi
		log "     $topic/$m: $(wc -c <"$f") bytes, ${#pfiles[@]} files, ${total_line:-checkpatch ?}"
	done

	# round trip 1: git am of the patch mails
	local want got mbx
	want=$POSTED_TOPIC_TREE
	if got=$(am_tree "${patches[@]}"); then
		if [ "$got" = "$want" ]; then
			log "topic $topic: git am of ${#patches[@]} mails on ${POSTED_BASE:0:12} gives tree ${got:0:12}, the tree of refs/topics/$topic"
		else
			wgit diff --stat "$want" "$got" >&2 || true
			fail "git am of the mails gives tree $got, but refs/topics/$topic has $want"
		fi
	else
		fail "$got"
	fi
	# round trip 2: b4 am of the thread (an mbox of every mail, as from the list)
	rm -rf "$tmp/b4am" && mkdir -p "$tmp/b4am"
	for f in "${cover:-}" "${patches[@]}"; do
		[ -n "$f" ] || continue
		echo "From mboxrd@z Thu Jan  1 00:00:00 1970"
		sed 's/^\(>*From \)/>\1/' "$f"
		echo
	done >"$tmp/thread.mbox"
	# (b4 0.12 reads a local mbox file with a parser that trips over folded
	# Subject: lines; from standard input it splits with git mailsplit)
	if ! (cd "$repo" && GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null b4 -n am -m - -o "$tmp/b4am" \
		<"$tmp/thread.mbox" >"$tmp/b4am.log" 2>&1); then
		tail -n 5 "$tmp/b4am.log" >&2
		fail "b4 am of the thread failed"
	else
		mbx=$(find "$tmp/b4am" -name '*.mbx' | head -n 1)
		if [ -z "$mbx" ]; then
			fail "b4 am wrote no .mbx"
		elif got=$(am_tree "$mbx"); then
			if [ "$got" = "$want" ]; then
				log "topic $topic: b4 am of the thread, then git am, gives the same tree"
			else
				fail "b4 am + git am of the thread gives tree $got, but refs/topics/$topic has $want"
			fi
		else
			fail "b4 am's mbox: $got"
		fi
	fi
	log "topic $topic: ${#patches[@]} patch mails${cover:+ and the cover letter} of $want_pfx] checked"
}

for topic in "${topics[@]}"; do
	check_topic "$topic"
done
{
	echo "### result"
	printf '%s\n' "${fails[@]:-all checks passed}"
} >>"$report"
log "${#topics[@]} topics checked (${topics[*]}), ${#fails[@]} failures (report: $report)"
[ "${#fails[@]}" -eq 0 ] || die "the mails in $POSTING_DIR are not fit to send: ${#fails[@]} failures above"

#!/usr/bin/env bash
# topics.sh - each topic of the series applies alone to the base and builds.
#
# A topic is a group of patches posted together to one tree ("#@topic NAME"
# lines of the series file, configs/topics/NAME.conf).  For each topic:
#   - git am of its patches, and of no other topic's, onto the base in our
#     worktree build/wt/topics; a patch that does not apply fails the stage,
#     named with the files git am names, and the worktree is reset;
#   - the commit that gives is recorded as refs/topics/NAME in build/src/linux
#     (scripts/posting.sh mails it, scripts/posting-check.sh compares with it);
#   - it is built on each arch of the conf's "build" line: a matrix arch with
#     its matrix config in build/topics/<arch> (a tree that built before for
#     the arch with the same config and compiler is not built again: the
#     record of scripts/bisect.sh, CACHE_DIR/bisect); "um" builds and runs the
#     KUnit suites of configs/kunit/um.kunitconfig with the tree's kunit.py,
#     which must all pass, with no splat (the topic's own test result).
# Earlier versions ("previous V REV" in configs/posting.conf: the series and
# patches/ of this repository's commit REV) are applied to the base too, and
# each topic's own patches of that version ("previous-patches V ..." in its
# conf) recorded as refs/topics-prev/vV/<name>-{from,to}, for the range-diff
# of its cover letter; a version that does not apply is only a warning.
# The union of all topics, branch "series", is what the matrix tests.
#
# Environment: TOPIC (one name or a comma-separated list; default every
#              topic), BUILD_DIR, CACHE_DIR, JOBS, KUNIT_UM_TIMEOUT
# Output: build/results/topics/<name>.txt (one line per check), the summary
#         build/results/topics.txt, refs/topics/<name> in build/src/linux
# Needs: make apply

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git make gcc ccache python3

stage topics
require_series
load_topics
select_topics
topics=("${SELECTED_TOPICS[@]}")
arches=()
for t in "${topics[@]}"; do
	for a in $(topic_conf "$t" build); do
		[ "$a" = um ] || check_arch "$a"
		[[ " ${arches[*]} " == *" $a "* ]] || arches+=("$a")
	done
done
for a in "${arches[@]}"; do
	if [ "$a" = um ]; then need_compiler x86_64; else need_compiler "$a"; fi
done
need_space "$BUILD_DIR" $((2 + 2 * ${#arches[@]})) "topics (a worktree and a build per arch)"
KUNIT_UM_TIMEOUT=${KUNIT_UM_TIMEOUT:-300}
out_dir=$RESULTS_DIR/topics
mkdir -p "$out_dir"
wt=$(worktree topics "$BASE_COMMIT")
trap 'rc=$?; git -C "$wt" am --abort >/dev/null 2>&1 || true; stage_end $rc' EXIT

# apply_topic NAME: git am of the topic's patches on the base in $wt
apply_topic() {
	local t=$1 p am_out files
	git -C "$wt" checkout -q --force --detach "$BASE_COMMIT"
	git -C "$wt" clean -q -f -d -x
	while read -r p; do
		if ! am_out=$(git -C "$wt" am -q "$p" 2>&1); then
			files=$(sed -n 's/^error: patch failed: \(.*\):[0-9]*$/\1/p; s/^error: \(.*\): does not exist in index$/\1/p' <<<"$am_out" | sort -u | paste -sd' ' -)
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			git -C "$wt" checkout -q --force --detach "$BASE_COMMIT"
			echo "apply FAIL $(basename "$p") (${files:-see below})" >>"$out_dir/$t.txt"
			printf '%s\n' "$am_out" >&2
			die "topic $t: $(basename "$p") does not apply to the base without the other topics${files:+ (failed: $files)}"
		fi
	done < <(topic_patches "$t")
}

# --- pass 1: every topic alone on the base (before any long build)
for t in "${topics[@]}"; do
	: >"$out_dir/$t.txt"
	mapfile -t tp < <(topic_patches "$t")
	log "topic $t: ${#tp[@]} patches ($(basename "${tp[0]}" | cut -c1-4)..$(basename "${tp[-1]}" | cut -c1-4)) on the base alone"
	apply_topic "$t"
	sgit update-ref "$(topic_ref "$t")" "$(git -C "$wt" rev-parse HEAD)"
	echo "apply ok ${#tp[@]} patches, tree $(git -C "$wt" rev-parse 'HEAD^{tree}' | cut -c1-12)" >>"$out_dir/$t.txt"
done

# --- earlier versions, for the range-diffs
mapfile -t previous < <(posting_conf previous)
for line in "${previous[@]}"; do
	read -r v rev <<<"$line"
	if ! [[ "$v" =~ ^[1-9][0-9]*$ ]] || [ -z "$rev" ]; then
		die "$POSTING_CONF: 'previous $line' is not 'previous V COMMIT'"
	fi
	tmp=$(mktemp -d)
	if ! git -C "$TOP" show "$rev:series" >"$tmp/series" 2>/dev/null; then
		warn "v$v: commit $rev of this repository is unknown (a shallow clone?): no range-diff against v$v"
		rm -rf "$tmp"
		continue
	fi
	git -C "$wt" checkout -q --force --detach "$BASE_COMMIT"
	declare -A vcommit=()
	prev=$BASE_COMMIT ok=1
	while read -r name _; do
		case "$name" in '' | '#'*) continue ;; esac
		if ! git -C "$TOP" show "$rev:patches/$name" >"$tmp/p" 2>/dev/null ||
			! git -C "$wt" am -q "$tmp/p" >/dev/null 2>&1; then
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			warn "v$v: $name does not apply to this base: no range-diff against v$v"
			ok=0
			break
		fi
		vcommit[${name:0:4}]="$prev $(git -C "$wt" rev-parse HEAD)"
		prev=$(git -C "$wt" rev-parse HEAD)
	done <"$tmp/series"
	rm -rf "$tmp"
	[ "$ok" = 1 ] || continue
	for t in "${topics[@]}"; do
		read -ra nums < <(topic_conf "$t" previous-patches | awk -v v="$v" '$1 == v { $1 = ""; print }')
		[ "${#nums[@]}" -gt 0 ] || continue
		first=${vcommit[${nums[0]}]:-} last=${vcommit[${nums[-1]}]:-}
		if [ -z "$first" ] || [ -z "$last" ]; then
			die "configs/topics/$t.conf: previous-patches $v: v$v has no patch ${nums[0]} or ${nums[-1]}"
		fi
		sgit update-ref "refs/topics-prev/v$v/$t-from" "${first%% *}"
		sgit update-ref "refs/topics-prev/v$v/$t-to" "${last#* }"
		log "topic $t: v$v was patches ${nums[*]} of $rev"
	done
	unset vcommit
done
git -C "$wt" checkout -q --force --detach "$BASE_COMMIT"
# the topic trees (not their builds) are of this series: make posting may run
sgit rev-parse series >"$out_dir/series.head"

# --- pass 2: the builds
failed=()
for t in "${topics[@]}"; do
	commit=$(sgit rev-parse "$(topic_ref "$t")")
	git -C "$wt" checkout -q --force --detach "$commit"
	git -C "$wt" clean -q -f -d -x
	for a in $(topic_conf "$t" build); do
		if [ "$a" = um ]; then
			res=$out_dir/$t-um
			rm -rf "$res"
			log "topic $t: kunit.py build and run on ARCH=um"
			t0=$SECONDS
			kunit_um "$wt" "$BUILD_DIR/topics/um" "$res"
			read -r _ passed nfail skipped _ < <(kunit_counts "$res/kunit.json")
			why=$(kunit_um_verdict "$res")
			verdict=ok
			[ -z "$why" ] || verdict=FAIL
			why=${why%%$'\n'*}
			echo "kunit-um $verdict $passed passed, $nfail failed, $skipped skipped ($((SECONDS - t0)) s)${why:+: $why}" >>"$out_dir/$t.txt"
			log "topic $t: ARCH=um KUnit: $passed passed, $nfail failed, $skipped skipped${why:+ ($why)}"
			[ "$verdict" = ok ] || failed+=("$t on um: $why (see $res/kunit.txt)")
			continue
		fi
		key=$(bisect_key "$a" "$commit")
		if [ -f "$CACHE_DIR/bisect/$key" ]; then
			log "topic $t: $a: this tree built before (cache $key)"
			echo "build ok $a (built before, cache $key)" >>"$out_dir/$t.txt"
			continue
		fi
		bdir=$BUILD_DIR/topics/$a
		log "topic $t: building $a in $bdir (log: $bdir.build-$t.log)"
		kernel_config "$a" "$wt" "$bdir"
		t0=$SECONDS
		if ! run_logged "$bdir.build-$t.log" kernel_make "$a" "$wt" "$bdir"; then
			echo "build FAIL $a" >>"$out_dir/$t.txt"
			failed+=("$t on $a: does not build alone (see $bdir.build-$t.log)")
			continue
		fi
		echo "build ok $a ($((SECONDS - t0)) s)" >>"$out_dir/$t.txt"
		mkdir -p "$CACHE_DIR/bisect"
		: >"$CACHE_DIR/bisect/$key"
	done
done

# the summary of every topic, the latest result of each
for t in "${TOPICS[@]}"; do
	[ -f "$out_dir/$t.txt" ] || continue
	sed "s/^/$t: /" "$out_dir/$t.txt"
done >"$RESULTS_DIR/topics.txt"
cat "$RESULTS_DIR/topics.txt"
[ "${#failed[@]}" -eq 0 ] || die "$(printf '%s; ' "${failed[@]}")"
log "${#topics[@]} topics apply alone to the base and build: ${topics[*]}"

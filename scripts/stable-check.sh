#!/usr/bin/env bash
# stable-check.sh - the series' fixes for stable apply to, and build on, the
# newest stable tree Debian ships.
#
# The stable tree is the Debian source package of configs/stable.conf (today
# linux-source-7.2 7.2.13 from sid), fetched, checked and committed like the
# base (scripts/base.sh) and cached in CACHE_DIR; our clone of it is
# build/src/stable.  For each topic (TOPIC=), the patches whose trailers
# carry "Cc: stable@vger.kernel.org" are applied to it in series order with
# git am, as a stable maintainer would pick them; a patch that does not apply
# exactly is tried with 'git am -3' and reported as such.  Then the objects of
# the C files those patches change are compiled there with W=1, for the first
# matrix arch of the topic's "build" line, with its matrix config (the
# objects a config does not build are reported, not compiled).
# The stage fails when a stable patch does not apply even with -3, or does
# not compile.  A topic without stable patches is reported as such.
#
# Environment: TOPIC, BUILD_DIR, CACHE_DIR, JOBS
# Output: build/results/stable.txt (one line per patch and object)
# Needs: make topics (the series file and patches; no kernel build)

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git make gcc ccache

stage stable-check
load_topics
select_topics
need_space "$BUILD_DIR" 4 "stable-check (the stable tree and a config per arch)"
# shellcheck source=configs/stable.conf
. "$CONFIG_DIR/stable.conf"
debian_base
stable_origin=$BASE_ORIGIN stable_commit=$BASE_COMMIT stable_desc=$BASE_DESC
src=$BUILD_DIR/src/stable
stgit() { git -C "$src" "$@"; }
own_clone "$src" "$stable_origin"
stgit am --abort >/dev/null 2>&1 || true
trap 'rc=$?; stgit am --abort >/dev/null 2>&1 || true; stage_end $rc' EXIT
report=$RESULTS_DIR/stable.txt
mkdir -p "$RESULTS_DIR"
: >"$report"
echo "stable tree: $stable_desc" >>"$report"
failed=() total=0

for t in "${SELECTED_TOPICS[@]}"; do
	stable=()
	while read -r p; do
		# a trailer of the commit message (above the first ---), not the notes
		if sed '/^---$/q' "$p" | grep -qiE '^Cc: *(<)?stable@vger\.kernel\.org'; then
			stable+=("$p")
		fi
	done < <(topic_patches "$t")
	if [ "${#stable[@]}" -eq 0 ]; then
		echo "$t: no patch for stable" >>"$report"
		log "topic $t: no patch for stable"
		continue
	fi
	log "topic $t: ${#stable[@]} patches for stable on $stable_desc"
	run_logged "$LOG_DIR/stable-checkout.log" git -C "$src" checkout -q --force --detach "$stable_commit"
	stgit clean -q -f -d -x
	cfiles=()
	for p in "${stable[@]}"; do
		total=$((total + 1))
		name=$(basename "$p")
		how=''
		if stgit am -q "$p" >/dev/null 2>&1; then
			how='applies cleanly'
		else
			stgit am --abort >/dev/null 2>&1 || true
			if stgit am -q -3 "$p" >/dev/null 2>&1; then
				how='applies only with a 3-way merge (git am -3)'
			else
				stgit am --abort >/dev/null 2>&1 || true
				how='DOES NOT APPLY'
				failed+=("$t: $name does not apply to $BASE_RELEASE")
			fi
		fi
		subj=$(mail_header Subject "$p" | sed 's/^Subject: \(\[[^]]*\] \)\{0,1\}//')
		echo "$t: patch ${name:0:4} ($subj) $how" >>"$report"
		log "topic $t: ${name:0:4} $how"
		[ "$how" = 'DOES NOT APPLY' ] && continue
		while read -r f; do
			[[ "$f" == *.c ]] && cfiles+=("$f")
		done < <(sed -n 's#^diff --git a/\(.*\) b/.*#\1#p' "$p")
	done
	[ "${#cfiles[@]}" -gt 0 ] || continue
	arch=''
	for a in $(topic_conf "$t" build); do
		if [ "$a" != um ]; then
			arch=$a
			break
		fi
	done
	if [ -z "$arch" ]; then
		echo "$t: no matrix arch in its build line: not compiled" >>"$report"
		continue
	fi
	need_compiler "$arch"
	out=$BUILD_DIR/stable/$arch
	kernel_config "$arch" "$src" "$out"
	run_logged "$out.prepare.log" kernel_make "$arch" "$src" "$out" prepare ||
		die_log "$out.prepare.log" "make prepare failed on the stable tree ($arch)"
	mapfile -t cfiles < <(printf '%s\n' "${cfiles[@]}" | sort -u)
	for f in "${cfiles[@]}"; do
		obj=${f%.c}.o
		if ! kernel_make "$arch" "$src" "$out" -s "$obj" W=1 >"$out.$(basename "$obj").log" 2>&1; then
			if grep -q 'No rule to make target' "$out.$(basename "$obj").log"; then
				echo "$t: $obj not built by the $arch config" >>"$report"
				continue
			fi
			echo "$t: $obj DOES NOT COMPILE ($arch, W=1)" >>"$report"
			failed+=("$t: $obj does not compile on $BASE_RELEASE ($arch): $out.$(basename "$obj").log")
			continue
		fi
		if grep -q 'warning:' "$out.$(basename "$obj").log"; then
			echo "$t: $obj compiles with W=1 warnings ($arch): $out.$(basename "$obj").log" >>"$report"
		else
			echo "$t: $obj compiles ($arch, W=1, no warning)" >>"$report"
		fi
	done
done
stgit checkout -q --force --detach "$stable_commit"
cat "$report"
[ "${#failed[@]}" -eq 0 ] || die "$(printf '%s; ' "${failed[@]}")"
log "$total patches for stable checked on $stable_desc"

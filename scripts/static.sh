#!/usr/bin/env bash
# static.sh - no new sparse, W=1 or coccinelle findings against the base.
#
# Usage: scripts/static.sh sparse|w1|cocci
#
# Builds the objects the series touches (its .c files, plus the objects in
# configs/static-objects when it touches a header) twice per arch, on the
# base (build/wt/static-base, out dir build/static/<arch>-base) and on the
# series (build/src/linux, out dir build/kernel/<arch>, the matrix build's),
# each with the arch's matrix config, and compares the findings per object with line
# numbers removed: a finding the base does not have fails the check.
#   sparse: make C=1 CHECK=scripts/sparse (sid's sparse; a sparse that the
#           kernel's checker-valid.sh rejects fails the check, never passes)
#   w1:     make W=1
#   cocci:  make C=1 CHECK=scripts/coccicheck MODE=report (x86_64 for
#           generic files, the file's own arch for arch/ files)
#
# Environment: ARCH (default: every arch for sparse/w1), BUILD_DIR, CACHE_DIR
# The base side's findings are cached in CACHE_DIR/static, keyed by the base
# commit, the arch's config, the objects, the tool versions and
# STATIC_CACHE_FORMAT (lib.sh static_cache_key): a run on an unchanged base builds only
# the series side.
#
# Output: build/results/lint/<checker>-<arch>.new (empty when clean),
# <checker>-cache.txt (per arch: hit or miss, and the key)
# Needs: make apply

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
checker=${1:-}
case "$checker" in
-h | --help) parse_help "$@" ;;
sparse | w1 | cocci) shift ;;
*) die "usage: $0 sparse|w1|cocci (see --help)" ;;
esac
parse_help "$@"
need_tool make gcc ccache git

# bumped whenever how the findings are made or normalised changes, so that
# a cached base side is never compared with a differently made series side
STATIC_CACHE_FORMAT=1

arches=$(selected_arches)
# shellcheck disable=SC2086 # a list of arch names
need_compiler $arches
stage "$checker"
need_space "$BUILD_DIR" 3 "$checker (a base worktree and builds per arch)"
require_series
load_series
out_dir=$RESULTS_DIR/lint
mkdir -p "$out_dir"

case "$checker" in
sparse)
	# refuse a sparse that Kbuild would silently switch off
	"$TOP/scripts/sparse" --version >/dev/null 2>&1 || die "sparse is not installed: run 'make deps'"
	valid=$(sh "$SRC_DIR/scripts/checker-valid.sh" "$TOP/scripts/sparse" -m64 2>&1 || true)
	[ "$valid" = 1 ] || die "sparse $("$TOP/scripts/sparse" --version) is rejected by this tree's scripts/checker-valid.sh: the sparse check cannot run"
	make_args=(C=1 CHECK="$TOP/scripts/sparse")
	;;
w1) make_args=(W=1) ;;
cocci)
	need_tool spatch
	make_args=(C=1 CHECK="$SRC_DIR/scripts/coccicheck" MODE=report J="$JOBS")
	;;
esac

mapfile -t touched < <(series_files)
if [ "${#SERIES_PATCHES[@]}" -eq 0 ] || [ "${#touched[@]}" -eq 0 ]; then
	log "0 patches, no files touched: no new $checker findings possible"
	for arch in $(selected_arches); do : >"$out_dir/$checker-$arch.new"; done
	exit 0
fi

# objects_for ARCH: the objects to check on that arch
objects_for() {
	local arch=$1 f
	for f in "${touched[@]}"; do
		case "$f" in
		arch/x86/*) case "$arch" in x86_64 | i386) ;; *) continue ;; esac ;;
		arch/"$(kernel_arch "$arch")"/*) ;;
		arch/*) continue ;;
		esac
		case "$f" in
		*.c) echo "${f%.c}.o" ;;
		*.h)
			# coccicheck reads the .c file only: headers are not its business
			[ "$checker" = cocci ] ||
				awk -v a="$arch" '!/^#/ && ($1 == a || $1 == "all") { print $2 }' "$CONFIG_DIR/static-objects"
			;;
		esac
	done | sort -u
}

# configured TREE OUT OBJ: false if the Makefile line that builds OBJ is
# "obj-$(CONFIG_X) += ..." and X is off in OUT/.config.  Kbuild compiles a
# single target such as mm/tests/foo.o (listed in mm/Makefile) whatever the
# config says, and then fails on what the config left out.
configured() {
	local tree=$1 out=$2 obj=$3 dir rel sym
	dir=${obj%/*} rel=${obj##*/}
	while :; do
		if [ -f "$tree/$dir/Makefile" ]; then
			sym=$(awk -v o="$rel" '/^obj-\$\(CONFIG_[A-Za-z0-9_]+\)/ {
				for (i = 2; i <= NF; i++)
					if ($i == o) {
						match($1, /CONFIG_[A-Za-z0-9_]+/)
						print substr($1, RSTART, RLENGTH)
						exit
					}
			}' "$tree/$dir/Makefile")
			if [ -n "$sym" ]; then
				grep -Eq "^$sym=[ym]$" "$out/.config"
				return
			fi
		fi
		[ "$dir" != "${dir%/*}" ] || return 0
		rel=${dir##*/}/$rel
		dir=${dir%/*}
	done
}

# findings FILE: compiler/sparse/cocci messages without line:column numbers
# and without the tree or build-dir prefix, sorted.
findings() {
	local compiler='^$'
	# sparse and cocci: their own findings, not the compiler's (make w1 has those)
	[ "$checker" = w1 ] || compiler='\[-W[^]]*\]$'
	sed -E -e "s#$BUILD_DIR/static/[^/ ]*/##g" -e "s#$BUILD_DIR/kernel/[^/ ]*/##g" -e "s#$BUILD_DIR/wt/[^/ ]*/##g" -e "s#$SRC_DIR/##g" \
		-e 's#^([^: ]+):[0-9]+(:[0-9]+(-[0-9]+)?)?: #\1: #' "$1" |
		grep -E '(warning|error|WARNING|ERROR|INFO):' | grep -Ev "$compiler" | sort -u || true
}

base_tree=''
cache_log=$out_dir/$checker-cache.txt
: >"$cache_log"
[ "$checker" != cocci ] || [ -n "${ARCH:-}" ] || arches="x86_64 arm64"
total_new=0
for arch in $arches; do
	mapfile -t objs < <(objects_for "$arch")
	[ "$checker" != cocci ] || [ "$arch" != arm64 ] ||
		mapfile -t objs < <(printf '%s\n' "${objs[@]}" | grep '^arch/arm64/' || true)
	new_file=$out_dir/$checker-$arch.new
	: >"$new_file"
	if [ "${#objs[@]}" -eq 0 ]; then
		log "$arch: no objects to check"
		continue
	fi
	for state in base series; do
		# the series side shares the matrix build dir (already prepared there)
		case "$state" in
		base)
			out=$BUILD_DIR/static/$arch-base
			mkdir -p "$out"
			key=$(static_cache_key "$checker" "$arch" "${objs[@]}")
			if static_cache_get "$key" "$out.$checker.findings"; then
				log "$arch/base: findings from the cache ($key)"
				echo "$arch hit $key" >>"$cache_log"
				base_findings=$out.$checker.findings
				continue
			fi
			echo "$arch miss $key" >>"$cache_log"
			[ -n "$base_tree" ] || base_tree=$(worktree static-base "$BASE_COMMIT")
			tree=$base_tree
			;;
		series) tree=$SRC_DIR out=$BUILD_DIR/kernel/$arch ;;
		esac
		mkdir -p "$out"
		log "$arch/$state: config + prepare"
		kernel_config "$arch" "$tree" "$out"
		run_logged "$out.prepare.log" kernel_make "$arch" "$tree" "$out" prepare ||
			die "$arch/$state: make prepare failed"
		: >"$out.$checker.log"
		for obj in "${objs[@]}"; do
			[ -f "$tree/${obj%.o}.c" ] || continue
			configured "$tree" "$out" "$obj" ||
				{ log "$arch/$state: $obj is not in this config, skipped"; continue; }
			rm -f "$out/$obj"
			log "$arch/$state: $checker $obj"
			if ! kernel_make "$arch" "$tree" "$out" "${make_args[@]}" "$obj" >>"$out.$checker.log" 2>&1; then
				grep -q "No rule to make target '$obj'" "$out.$checker.log" &&
					{ log "$arch/$state: $obj is not built in this config, skipped"; continue; }
				tail -n 20 "$out.$checker.log" >&2
				die "$arch/$state: building $obj failed (log: $out.$checker.log)"
			fi
		done
		! grep -q 'is not available or not up to date' "$out.$checker.log" ||
			die "$arch/$state: Kbuild switched the checker off: $(grep -m1 'not available' "$out.$checker.log")"
		findings "$out.$checker.log" >"$out.$checker.findings"
		if [ "$state" = base ]; then
			base_findings=$out.$checker.findings
			static_cache_put "$key" "$base_findings"
		fi
	done
	comm -13 "$base_findings" "$out.$checker.findings" >"$new_file"
	n=$(wc -l <"$new_file")
	total_new=$((total_new + n))
	log "$arch: ${#objs[@]} objects, $(wc -l <"$base_findings") findings on the base, $n new"
	[ "$n" -eq 0 ] || sed 's/^/    >> /' "$new_file" >&2
done
[ "$total_new" -eq 0 ] || die "$checker: $total_new new findings against the base (marked >> above)"
log "$checker: no new findings against the base"

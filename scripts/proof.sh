#!/usr/bin/env bash
# proof.sh - each test fails without the patches it proves and passes with them.
#
# For every line of configs/proof.conf (a KUnit suite or a guest test, a
# guest run, the patches it proves, the "before" patches):
#   (a) before: the base plus the "before" patches (git am in our worktree
#       build/wt/proof), built out of tree in build/proof/<arch> (one build per
#       distinct tree and arch, incremental, ccache) and booted with
#       kunit.filter_glob=<suite>;
#   (b) after: the series' own matrix kernel (make build), booted once per
#       run with every built-in suite.
# The run "um" is no guest: the tree's kunit.py builds and runs an ARCH=um
# kernel (configs/kunit/um.kunitconfig), the before trees in build/proof/um,
# the series in build/kernel/um (scripts/kunit-um.sh).
# Guests boot with mmseries.kunit_only=1 (no guest tests, unless the run's
# own mmseries.* option selects one, as the pmem runs do), the run's QEMU
# settings and time limit; each console is parsed by the tree's kunit.py.
# Per test case: proven when it FAILs or ERRORs on (a) and PASSes on (b).
# Flagged (shown, not fatal): a case that passes or skips on (a) proves
# nothing by itself.  The stage fails when a case does not pass on (b), a
# line proves no case at all, or an (b) run has a splat.
#
# Environment: PROOF (only the lines of the suites this glob matches, e.g.
#              'vmemmap_pmem_*'), BUILD_DIR, CACHE_DIR, JOBS
# Output: build/results/proof.md, proof.json; build/results/proof/<boot>/ per boot
# Needs: make build (the series' kernels and initramfs of the runs' arches)

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
need_tool git make gcc ccache python3 flex bison qemu-system-x86_64 qemu-system-i386 qemu-system-aarch64

stage proof
need_space "$BUILD_DIR" 3 "proof (a worktree and a kernel build per arch)"
require_series
load_series
KUNIT_PY=$SRC_DIR/tools/testing/kunit/kunit.py
res=$RESULTS_DIR/proof
# no result or before kernel of an earlier run may be read as this run's
rm -rf "$res" "$BUILD_DIR/proof/images" "$RESULTS_DIR/proof.md" "$RESULTS_DIR/proof.json"
mkdir -p "$res"
T0=$SECONDS

# patch_file NNNN: the series' patch whose file name starts with NNNN-
patch_file() {
	local p
	for p in "${SERIES_PATCHES[@]}"; do
		case "$(basename "$p")" in "$1"-*)
			echo "$p"
			return
			;;
		esac
	done
	die "configs/proof.conf names patch $1, which is not in the series"
}

# the lines to prove: suite run proves before
rows=()
while read -r suite run proves before rest; do
	case "$suite" in '' | '#'*) continue ;; esac
	if [ -z "$before" ] || [ -n "$rest" ]; then
		die "configs/proof.conf: bad line '$suite $run $proves $before $rest'"
	fi
	[ "$run" = um ] || [ -f "$CONFIG_DIR/qemu/$run.conf" ] ||
		die "configs/proof.conf: unknown run '$run' (configs/qemu/*.conf, or um)"
	case "$before" in [+-][0-9]*) ;; *) die "configs/proof.conf: before '$before' is neither +NNNN,... nor -NNNN,..." ;; esac
	for n in $(echo "${before#[+-]}" | tr ',' ' '); do patch_file "$n" >/dev/null; done
	# shellcheck disable=SC2254 # PROOF is a glob on purpose
	[ -z "${PROOF:-}" ] || case "$suite" in $PROOF) ;; *) continue ;; esac
	rows+=("$suite $run $proves $before")
done <"$CONFIG_DIR/proof.conf"
[ "${#rows[@]}" -gt 0 ] || die "no line of configs/proof.conf is for PROOF=${PROOF:-}"
for row in "${rows[@]}"; do
	read -r _ run _ _ <<<"$row"
	if [ "$run" = um ]; then need_compiler x86_64; else need_compiler "$(run_arch "$run")"; fi
done


# the (b) kernels must be the series' current build
declare -A after_img
for row in "${rows[@]}"; do
	read -r _ run _ _ <<<"$row"
	[ "$run" != um ] || continue
	arch=$(run_arch "$run")
	[ -z "${after_img[$arch]:-}" ] || continue
	img=$BUILD_DIR/kernel/$arch/$(kernel_image "$arch")
	if [ ! -f "$img" ] || [ ! -f "$BUILD_DIR/kernel/$arch/initramfs.cpio" ]; then
		die "no series kernel for $arch: run 'make build ARCH=$arch' first"
	fi
	require_series_build "$arch"
	after_img[$arch]=$img
done

# before_patches BEFORE: the patch files of a "before" tree, in series order:
# "+A,B" the base + A and B; "-A,B" the series without A and B
before_patches() {
	local list=$1 p n keep
	for p in "${SERIES_PATCHES[@]}"; do
		keep=0
		for n in ${list#[+-]}; do
			case "$(basename "$p")" in "$n"-*) keep=1 ;; esac
		done
		case "$list" in -*) keep=$((1 - keep)) ;; esac
		[ "$keep" -eq 0 ] || echo "$p"
	done
}
# (a) trees: one commit per distinct "before", made by git am on the base in
# our worktree (same dates, same commit on every run)
declare -A state_commit state_err
wt=''
for row in "${rows[@]}"; do
	read -r _ _ _ before <<<"$row"
	[ -z "${state_commit[$before]:-}${state_err[$before]:-}" ] || continue
	wt=$(worktree proof "$BASE_COMMIT")
	mapfile -t plist < <(before_patches "${before//,/ }")
	for p in "${plist[@]}"; do
		if ! out=$(git -C "$wt" am -q --committer-date-is-author-date "$p" 2>&1); then
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			# only "does not apply" makes a tree-less before; anything else stops
			printf '%s\n' "$out" | grep -qE '^error: (patch failed|.*: does not exist in index|.*: patch does not apply)' ||
				die "git am of $(basename "$p") failed in $wt for another reason: $(printf '%s' "$out" | tail -n 3)"
			files=$(printf '%s\n' "$out" | sed -n 's/^error: patch failed: \(.*\):[0-9]*$/\1/p' | sort -u | paste -sd, -)
			state_err[$before]="$(basename "$p") does not apply to the base${files:+ ($files)}"
			log "before $(proof_state "$before"): ${state_err[$before]}"
			continue 2
		fi
	done
	state_commit[$before]=$(git -C "$wt" rev-parse HEAD)
	log "before $(proof_state "$before"): $(git -C "$wt" rev-parse --short=12 HEAD), ${#plist[@]} patches on the base"
done

# (a) builds: build/proof/<arch> is re-used for every tree of that arch
declare -A state_img
builds=()
for row in "${rows[@]}"; do
	read -r _ run _ before <<<"$row"
	# (um: kunit.py builds and runs in one go, below)
	[ "$run" != um ] || continue
	arch=$(run_arch "$run")
	key="$before $arch"
	if [ -z "${state_commit[$before]:-}" ] || [ -n "${state_img[$key]:-}" ]; then
		continue
	fi
	wt=$(worktree proof "${state_commit[$before]}")
	out=$BUILD_DIR/proof/$arch
	name="$(proof_state "$before")-$arch"
	log "build $name"
	t0=$SECONDS
	kernel_config "$arch" "$wt" "$out"
	# a before tree that applies must build: a failure here is ours to fix
	# (or the machine's), never a test failing before its patches
	run_logged "$out.build.log" kernel_make "$arch" "$wt" "$out" "$(basename "$(kernel_image "$arch")")" ||
		die "before tree $name does not build (log: $out.build.log)"
	mkdir -p "$BUILD_DIR/proof/images"
	cp "$out/$(kernel_image "$arch")" "$BUILD_DIR/proof/images/$name"
	state_img[$key]=$BUILD_DIR/proof/images/$name
	builds+=("$name $((SECONDS - t0))")
	log "build $name: $((SECONDS - t0))s"
done

# proof_boot NAME RUN IMAGE FILTER: one KUnit-only boot into $res/NAME
boots=()
proof_boot() {
	local name=$1 run=$2 img=$3 filter=$4 dir=$res/$1 t0=$SECONDS rc=0
	# (HOTPLUG*: set by the arm64 confs, not used here)
	# shellcheck disable=SC2034
	local ARCH QEMU QEMU_ARGS APPEND TIMEOUT HOTPLUG='' HOTPLUG_SIZE='' PMEM='' qemu_args=() pm=() r
	# shellcheck source=configs/qemu/x86_64.conf
	. "$CONFIG_DIR/qemu/$run.conf"
	read -ra qemu_args <<<"$QEMU_ARGS"
	for r in $PMEM; do pm+=(--pmem "$r"); done
	mkdir -p "$dir"
	log "boot $name${filter:+ (kunit.filter_glob=$filter)}"
	python3 "$TOP/scripts/qemu_run.py" --log "$dir/console.log" --timeout "$TIMEOUT" "${pm[@]}" -- \
		"$QEMU" "${qemu_args[@]}" -kernel "$img" -initrd "$BUILD_DIR/kernel/$ARCH/initramfs.cpio" \
		-append "$APPEND mmseries.kunit_only=1${filter:+ kunit.filter_glob=$filter}" >"$dir/qemu_run.txt" 2>&1 || rc=$?
	tr -d '\r' <"$dir/console.log" >"$dir/kernel.log"
	python3 "$KUNIT_PY" parse --json="$dir/kunit.json" "$dir/kernel.log" >"$dir/kunit.txt" 2>&1 || true
	printf '%s\n' "$rc" >"$dir/qemu_exit"
	scan_splats "$dir/kernel.log" "$dir/splats.txt" >"$dir/splat_count"
	boots+=("$name $((SECONDS - t0))")
	log "boot $name: qemu exit $rc, $(cat "$dir/splat_count") splat lines, $((SECONDS - t0))s"
}

# proof_um NAME SRCTREE BUILDDIR FILTER: one kunit.py run (ARCH=um) into $res/NAME
proof_um() {
	local name=$1 t0=$SECONDS
	log "kunit.py $name (ARCH=um)${4:+ $4}"
	kunit_um "$2" "$3" "$res/$name" "$4"
	boots+=("$name $((SECONDS - t0))")
	log "kunit.py $name: $(cat "$res/$name/splat_count") splat lines, $((SECONDS - t0))s"
}

# (b): one boot per run, every suite
declare -A after_done
for row in "${rows[@]}"; do
	read -r _ run _ _ <<<"$row"
	[ -z "${after_done[$run]:-}" ] || continue
	after_done[$run]=1
	if [ "$run" = um ]; then
		require_series_checkout
		proof_um after-um "$SRC_DIR" "$BUILD_DIR/kernel/um" ''
	else
		proof_boot "after-$run" "$run" "${after_img[$(run_arch "$run")]}" ''
	fi
done

# (a): one boot per line; the table, one row per line
table=$res/rows.tsv
: >"$table"
for row in "${rows[@]}"; do
	read -r suite run proves before <<<"$row"
	state=$(proof_state "$before")
	if [ -n "${state_err[$before]:-}" ]; then
		bdir="ERROR: ${state_err[$before]}"
	elif [ "$run" = um ]; then
		proof_um "$state-$suite-um" "$(worktree proof "${state_commit[$before]}")" "$BUILD_DIR/proof/um" "$suite"
		bdir=$res/$state-$suite-um
	else
		proof_boot "$state-$suite-$run" "$run" "${state_img[$before $(run_arch "$run")]}" "$suite"
		bdir=$res/$state-$suite-$run
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$suite" "$run" "$proves" "$state" "$bdir" "$res/after-$run" >>"$table"
done

printf '%s\n' "${builds[@]}" >"$res/builds.txt"
printf '%s\n' "${boots[@]}" >"$res/boots.txt"
python3 "$TOP/scripts/proof_table.py" --rows "$table" --builds "$res/builds.txt" --boots "$res/boots.txt" \
	--seconds "$((SECONDS - T0))" --series "$(sgit rev-parse --short=12 series)" --base "$BASE_DESC" \
	--md "$RESULTS_DIR/proof.md" --json "$RESULTS_DIR/proof.json" || {
	cat "$RESULTS_DIR/proof.md" 2>/dev/null || true
	die "the proof does not hold (see above; build/results/proof.md)"
}
cat "$RESULTS_DIR/proof.md"

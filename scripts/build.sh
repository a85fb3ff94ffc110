#!/usr/bin/env bash
# build.sh - stage 4: the matrix kernel and the guest initramfs of one arch.
#
# Kernel: allnoconfig + the arch's fragments (configs/matrix.conf), every
# requested option checked after olddefconfig, built out of tree from the
# series branch in build/kernel/<arch> with ccache, plus its modules.
# Guest: scripts/guest/mmtest.c compiled static against the tree's own nolibc
# (tools/include/nolibc, with the build's own uapi headers) and packed with
# test_vmalloc.ko and lkdtm.ko into build/kernel/<arch>/initramfs.cpio by the
# build's usr/gen_init_cpio (no root needed).
#
# Environment: ARCH (default: every arch, one after the other), BUILD_DIR,
#              CACHE_DIR, JOBS
# Output: build/kernel/<arch>/{<image>,initramfs.cpio}, build/results/build-<arch>.json
# Needs: make apply

set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
parse_help "$@"
arches=$(selected_arches)
need_tool make gcc ccache git
# shellcheck disable=SC2086 # a list of arch names
need_compiler $arches

require_series

# ccache's total hit count (for the build record): "  Hits:  N / M (P%)"
ccache_hits() {
	CCACHE_DIR=$CACHE_DIR/ccache ccache -s 2>/dev/null | awk '/^ *Hits:/ { print $2; exit }' || true
}

build_arch() {
	local arch=$1
	local out=$BUILD_DIR/kernel/$arch res=$RESULTS_DIR t0 secs cc gcc_m=() libgcc img hits0 hits1 m mods
	local guest=$out/guest
	stage "build $arch"
	need_space "$BUILD_DIR" 1 "the $arch kernel build"
	# until this build succeeds, no record says there is a kernel
	rm -f "$res/build-$arch.json"
	img=$(kernel_image "$arch")
	cc=$(arch_cross "$arch")gcc
	# i386: the host gcc with -m32 (bookworm has no 32-bit libgcc by default,
	# and the init needs none); others link libgcc for its helpers
	libgcc=(-lgcc)
	[ "$arch" != i386 ] || { gcc_m=(-m32) libgcc=(); }
	mkdir -p "$res"
	log "$arch: config"
	kernel_config "$arch" "$SRC_DIR" "$out"
	hits0=$(ccache_hits)
	t0=$SECONDS
	log "$arch: kernel and modules (log: $out.build.log)"
	run_logged "$out.build.log" kernel_make "$arch" "$SRC_DIR" "$out" all ||
		die "$arch: the kernel does not build (log: $out.build.log)"
	secs=$((SECONDS - t0))
	hits1=$(ccache_hits)

	log "$arch: guest init (nolibc) and initramfs"
	rm -rf "$guest"
	mkdir -p "$guest"
	# nolibc's own "headers" copies only; the kernel's uapi headers come from
	# our out-of-tree build (its headers_standalone would write into the tree)
	make -s -C "$SRC_DIR/tools/include/nolibc" ARCH="$arch" OUTPUT="$guest/" headers >"$guest/sysroot.log" 2>&1 ||
		die_log "$guest/sysroot.log" "$arch: nolibc headers failed ($guest/sysroot.log)"
	kernel_make "$arch" "$SRC_DIR" "$out" headers_install INSTALL_HDR_PATH="$guest/sysroot" >>"$guest/sysroot.log" 2>&1 ||
		die_log "$guest/sysroot.log" "$arch: headers_install failed ($guest/sysroot.log)"
	"$cc" "${gcc_m[@]}" -Os -static -nostdlib -nostdinc -fno-stack-protector -fno-asynchronous-unwind-tables \
		-Wall -Wextra -Werror -Wno-unused-parameter -I"$guest/sysroot/include" \
		-o "$guest/init" "$TOP/scripts/guest/mmtest.c" "${libgcc[@]}" ||
		die "$arch: scripts/guest/mmtest.c does not build"
	# the modules the guest init loads (configs/kernel/kunit.config); the
	# bench kernels build test_vmalloc in and have no LKDTM
	mods=()
	for m in TEST_VMALLOC:lib/test_vmalloc.ko LKDTM:drivers/misc/lkdtm/lkdtm.ko; do
		grep -q "^CONFIG_${m%%:*}=m" "$out/.config" || continue
		[ -f "$out/${m#*:}" ] || die "$arch: module ${m#*:} was not built"
		mods+=("$out/${m#*:}")
	done
	cat >"$guest/initramfs.list" <<-LIST
		dir /dev 0755 0 0
		nod /dev/console 0600 0 0 c 5 1
		dir /proc 0755 0 0
		dir /sys 0755 0 0
		dir /tmp 1777 0 0
		dir /lib 0755 0 0
		dir /lib/modules 0755 0 0
		file /init $guest/init 0755 0 0
	LIST
	for m in "${mods[@]}"; do
		echo "file /lib/modules/${m##*/} $m 0644 0 0" >>"$guest/initramfs.list"
	done
	# the pmem drivers, where the config builds them as modules (pmem.config):
	# the pmem runs' init loads them, so that their regions appear after it
	for m in drivers/nvdimm/of_pmem.ko drivers/nvdimm/nd_pmem.ko; do
		[ ! -f "$out/$m" ] || echo "file /lib/modules/${m##*/} $out/$m 0644 0 0" >>"$guest/initramfs.list"
	done
	"$out/usr/gen_init_cpio" "$guest/initramfs.list" >"$out/initramfs.cpio" ||
		die "$arch: gen_init_cpio failed"
	cat >"$res/build-$arch.json" <<-JSON
		{"arch": "$arch", "image": "$out/$img", "initramfs": "$out/initramfs.cpio",
		 "seconds": $secs, "ccache_hits_before": "${hits0:-?}", "ccache_hits_after": "${hits1:-?}",
		 "series_head": "$(sgit rev-parse series)", "compiler": "$("$cc" --version | head -n 1)"}
	JSON
	log "$arch: built in ${secs}s: $out/$img"
}

# a subshell per arch: each is its own stage, with its own time and verdict
for a in $arches; do
	(build_arch "$a")
done

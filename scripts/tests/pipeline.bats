#!/usr/bin/env bats
# Tests of the pipeline scripts on a tiny stand-in kernel tree (a git repo
# with a Makefile, scripts/checkpatch.pl and two source files), used as the
# user's KSRC.  Every test has its own BUILD_DIR and CACHE_DIR.

load standin

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	T=$BATS_TEST_TMPDIR
	export BUILD_DIR=$T/build CACHE_DIR=$T/cache
	export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.org
	export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.org
	unset ARCH KSRC BASE SERIES PATCHES

	KSRC=$T/linux
	mkdir -p "$KSRC/mm"
	printf 'int m;\n' >"$KSRC/mm/memory.c"
	# two patches made on a side branch of the stand-in tree
	standin_base
	printf 'int m2;\n' >>"$KSRC/mm/memory.c"
	standin_commit "mm/memory: add m2"
	standin_series
}

# the user's tree: refs, HEAD, status and config, to compare before/after
user_state() {
	{
		git -C "$KSRC" for-each-ref
		git -C "$KSRC" rev-parse HEAD
		git -C "$KSRC" status --porcelain
		git -C "$KSRC" diff
		git -C "$KSRC" worktree list --porcelain
		cat "$KSRC/.git/config"
	} 2>&1
}

@test "every stage script answers --help" {
	for s in "$TOP"/scripts/*.sh; do
		[ "$(basename "$s")" = lib.sh ] && continue
		run "$s" --help
		[ "$status" -eq 0 ] || { echo "$s --help: $status"; false; }
		[ -n "$output" ]
	done
}

@test "an unknown argument is refused" {
	run "$TOP/scripts/apply.sh" --frobnicate
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown argument '--frobnicate'"* ]]
}

@test "a missing KSRC is refused with a clear message" {
	KSRC=$T/nonexistent run "$TOP/scripts/base.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"KSRC=$T/nonexistent does not exist"* ]]
	[ ! -e "$BUILD_DIR/base.env" ]
}

@test "a KSRC that is not a git checkout is refused" {
	mkdir -p "$T/plain"
	KSRC=$T/plain run "$TOP/scripts/base.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not a git checkout"* ]]
}

@test "a BASE that is not a commit is refused" {
	BASE=no-such-ref run "$TOP/scripts/base.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"BASE=no-such-ref is not a commit"* ]]
}

@test "an unknown ARCH is refused" {
	run "$TOP/scripts/base.sh"
	[ "$status" -eq 0 ]
	ARCH=sparc64 run "$TOP/scripts/static.sh" w1
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown ARCH 'sparc64'"* ]]
	ARCH=mips run "$TOP/scripts/bisect.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown ARCH 'mips'"* ]]
}

@test "too little free disk stops a stage at once, saying how much it needs" {
	# a df that reports 100 MiB free, first in PATH
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "Filesystem 1024-blocks Used Available Capacity Mounted"\necho "/dev/x 1000000 900000 102400 90%% /"\n' >"$T/bin/df"
	chmod +x "$T/bin/df"
	PATH=$T/bin:$PATH run "$TOP/scripts/base.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"only 100 MiB free on the file system of"*"needs about 4 GiB"* ]]
	[ ! -e "$BUILD_DIR/base.env" ]
}

@test "the series applies with git am, and the user's tree is not touched" {
	before=$(user_state)
	run "$TOP/scripts/base.sh"
	[ "$status" -eq 0 ]
	run "$TOP/scripts/apply.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 patches applied"* ]]
	src=$BUILD_DIR/src/linux
	[ "$(git -C "$src" rev-list --count "$BASE_SHA"..series)" -eq 2 ]
	grep -q 'int b2;' "$src/mm/vmalloc.c"
	grep -q 'int m2;' "$src/mm/memory.c"
	[ "$(user_state)" = "$before" ]
	# applying twice gives the same commits (committer date = author date)
	head1=$(git -C "$src" rev-parse series)
	run "$TOP/scripts/apply.sh"
	[ "$status" -eq 0 ]
	[ "$(git -C "$src" rev-parse series)" = "$head1" ]
}

@test "a series that does not apply: patch and file named, tree left as it was" {
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	[ "$status" -eq 0 ]
	src=$BUILD_DIR/src/linux
	head_before=$(git -C "$src" rev-parse HEAD)
	branch_before=$(git -C "$src" rev-parse series)
	# a third patch whose context is not in the tree
	cat >"$PATCHES/0003-broken.patch" <<-'EOF'
		From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
		From: Tester <tester@example.org>
		Date: Mon, 1 Jan 2024 00:00:00 +0000
		Subject: [PATCH 3/3] mm/vmalloc: broken

		Signed-off-by: Tester <tester@example.org>
		---
		 mm/vmalloc.c | 2 +-
		 1 file changed, 1 insertion(+), 1 deletion(-)

		diff --git a/mm/vmalloc.c b/mm/vmalloc.c
		--- a/mm/vmalloc.c
		+++ b/mm/vmalloc.c
		@@ -1,3 +1,3 @@
		 int a;
		-int zzz;
		+int yyy;
		 int c;
		--
		2.39.5
	EOF
	echo 0003-broken.patch >>"$SERIES"
	before=$(user_state)
	run "$TOP/scripts/apply.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"0003-broken.patch"* ]]
	[[ "$output" == *"mm/vmalloc.c"* ]]
	[[ "$output" == *"patch 3/3"* ]]
	[ "$(git -C "$src" rev-parse HEAD)" = "$head_before" ]
	[ "$(git -C "$src" rev-parse series)" = "$branch_before" ]
	[ -z "$(git -C "$src" status --porcelain)" ]
	[ ! -d "$src/.git/rebase-apply" ]
	[ "$(user_state)" = "$before" ]
}

@test "a dirty user tree: warned about, left dirty, not part of the base" {
	echo 'int dirty;' >>"$KSRC/mm/memory.c"
	before=$(user_state)
	run "$TOP/scripts/base.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uncommitted changes"* ]]
	[ "$(user_state)" = "$before" ]
	! grep -q dirty "$BUILD_DIR/src/linux/mm/memory.c"
	run "$TOP/scripts/apply.sh"
	[ "$status" -eq 0 ]
	[ "$(user_state)" = "$before" ]
}

@test "an empty series: every stage works and says 0 patches" {
	: >"$SERIES"
	run "$TOP/scripts/base.sh"
	[ "$status" -eq 0 ]
	for s in apply checkpatch quilt-check bisect; do
		run "$TOP/scripts/$s.sh"
		[ "$status" -eq 0 ] || { echo "$s: $output"; false; }
		[[ "$output" == *"0 patches"* ]] || { echo "$s: $output"; false; }
	done
	for c in sparse w1 cocci; do
		run "$TOP/scripts/static.sh" "$c"
		# sparse may be absent in the test's own CACHE_DIR: that must fail, never pass
		if [ "$c" = sparse ] && [ "$status" -ne 0 ]; then
			[[ "$output" == *"sparse is not installed"* ]]
			continue
		fi
		[ "$status" -eq 0 ] || { echo "$c: $output"; false; }
		[[ "$output" == *"0 patches"* ]]
	done
}

@test "a series file naming a missing patch is refused" {
	echo 0009-missing.patch >>"$SERIES"
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"0009-missing.patch"* ]]
}

@test "quilt gives the same tree as git am" {
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	run "$TOP/scripts/quilt-check.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"quilt pushed 2 patches"* ]]
	[[ "$output" == *"same tree"* ]]
}

@test "quilt-check fails when quilt and git am disagree" {
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	# move the series branch away from what the patches give
	src=$BUILD_DIR/src/linux
	echo 'int extra;' >>"$src/mm/memory.c"
	git -C "$src" commit -q -am extra
	run "$TOP/scripts/quilt-check.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"differs"* ]]
}

@test "checkpatch findings fail the check; a reviewed exception needs a reason" {
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	# a checkpatch that finds a LONG_LINE unless told to --ignore it, and
	# wants --codespell
	cat >"$BUILD_DIR/src/linux/scripts/checkpatch.pl" <<-'EOF'
		#!/usr/bin/perl
		die "no --codespell\n" unless grep { $_ eq '--codespell' } @ARGV;
		if (grep { /^--ignore=.*LONG_LINE/ } @ARGV) {
			print "total: 0 errors, 0 warnings, 0 checks, 1 lines checked\n"; exit 0;
		}
		print "WARNING:LONG_LINE: line too long\ntotal: 0 errors, 1 warnings, 0 checks, 1 lines checked\n"; exit 1;
	EOF
	run "$TOP/scripts/checkpatch.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"LONG_LINE"* ]]
	[[ "$output" == *"2 with findings"* ]]
	# an exceptions line for the first patch: only the second one fails
	export CHECKPATCH_EXCEPTIONS=$T/exceptions
	cp "$TOP/configs/checkpatch-exceptions" "$CHECKPATCH_EXCEPTIONS"
	first=$(head -n 1 "$SERIES")
	echo "$first LONG_LINE a URL that must not be broken" >>"$CHECKPATCH_EXCEPTIONS"
	run "$TOP/scripts/checkpatch.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"1 with findings"* ]]
	# and one without a reason is refused
	echo "$first LONG_LINE" >>"$CHECKPATCH_EXCEPTIONS"
	run "$TOP/scripts/checkpatch.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"without a reason"* ]]
}

@test "the sparse wrapper refuses to pass when sparse is not installed" {
	CACHE_DIR=$T/empty run -127 "$TOP/scripts/sparse" --version
	[ "$status" -eq 127 ]
	[[ "$output" == *"not installed"* ]]
}

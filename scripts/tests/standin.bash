# shellcheck shell=bash
# The stand-in kernel tree of the bats tests (load standin): a git repo at
# $KSRC with a Makefile, a stub scripts/checkpatch.pl and mm/vmalloc.c, plus
# whatever the test created there first, used as the user's KSRC.

# standin_base: commit $KSRC as "base" (BASE_SHA), then the first patch,
# "mm/vmalloc: rename b", on branch "work".
standin_base() {
	mkdir -p "$KSRC/scripts" "$KSRC/mm"
	printf 'all:\n' >"$KSRC/Makefile"
	printf '#!/usr/bin/perl\nprint "total: 0 errors, 0 warnings, 0 checks, 1 lines checked\\n";\n' >"$KSRC/scripts/checkpatch.pl"
	printf 'int a;\nint b;\nint c;\n' >"$KSRC/mm/vmalloc.c"
	git -C "$KSRC" init -q -b master
	git -C "$KSRC" add -A
	git -C "$KSRC" commit -q -m base
	BASE_SHA=$(git -C "$KSRC" rev-parse HEAD)
	git -C "$KSRC" checkout -q -b work
	sed -i 's/int b;/int b2;/' "$KSRC/mm/vmalloc.c"
	standin_commit "mm/vmalloc: rename b"
}

# standin_commit SUBJECT: commit the changes in $KSRC as a signed-off patch
standin_commit() {
	git -C "$KSRC" commit -q -am "$1" -m "Signed-off-by: Tester <tester@example.org>"
}

# standin_series: the patches of branch "work" into $PATCHES, listed in
# $SERIES; the tree is back on master without the branch.
standin_series() {
	export PATCHES=$T/patches SERIES=$T/series KSRC
	mkdir -p "$PATCHES"
	git -C "$KSRC" format-patch -q -o "$PATCHES" "$BASE_SHA"..work
	git -C "$KSRC" checkout -q master
	git -C "$KSRC" branch -q -D work
	(cd "$PATCHES" && printf '%s\n' *.patch) >"$SERIES"
}

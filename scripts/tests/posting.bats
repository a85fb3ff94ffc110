#!/usr/bin/env bats
# Tests of scripts/topics.sh, posting.sh and posting-check.sh on a tiny
# stand-in kernel tree (used as the user's KSRC) whose get_maintainer.pl names
# one maintainer per directory.  b4 (0.12) runs for real; nothing is sent.
# The stand-in series is one topic, "all", unless a test splits it.

load standin

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	T=$BATS_TEST_TMPDIR
	export BUILD_DIR=$T/build CACHE_DIR=$T/cache
	# the project's identity, as posting.sh reads it (git -C $TOP config)
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$T/gitconfig
	printf '[user]\n\tname = Tester\n\temail = tester@example.org\n' >"$GIT_CONFIG_GLOBAL"
	SENDER=$(git -C "$TOP" config user.email)
	unset ARCH KSRC BASE SERIES PATCHES V POSTING_CONF RESULTS_DIR TOPIC POST_AS
	# the project's posting settings, without its version history
	export POSTING_CONF=$T/posting.conf TOPIC_CONF_DIR=$T/topics
	grep -Ev '^(revision|previous) ' "$TOP/configs/posting.conf" >"$POSTING_CONF"
	mkdir -p "$TOPIC_CONF_DIR"
	printf 'Stand-in cover\n\nThe patches:\n\n@PATCHES@\n\n@TESTING@\n\n@BASE@\n\n@CHANGES@\n' >"$T/cover.md"
	topic_conf all PATCH

	KSRC=$T/linux
	mkdir -p "$KSRC/scripts" "$KSRC/arch/x86/mm"
	# one maintainer per directory of the patch's files, like MAINTAINERS would
	cat >"$KSRC/scripts/get_maintainer.pl" <<-'EOF'
		#!/usr/bin/perl
		@ARGV = grep { !/^--/ } @ARGV;
		my %seen;
		while (<>) {
			next unless m{^diff --git a/(\S+)};
			my @r = $1 =~ m{^mm/} ? ("MM Maintainer <mm\@example.org>", "linux-mm\@kvack.org")
			      : $1 =~ m{^arch/x86/} ? ("X86 Maintainer <x86\@example.org>", "x86\@kernel.org") : ();
			for (@r) { print "$_\n" unless $seen{$_}++; }
		}
	EOF
	printf 'int p;\n' >"$KSRC/arch/x86/mm/pgtable.c"
	standin_base
	printf 'int p2;\n' >>"$KSRC/arch/x86/mm/pgtable.c"
	standin_commit "x86/mm: add p2"
	standin_series
	sed -i '1i #@topic all' "$SERIES"
	MAILS=$BUILD_DIR/posting/all
}

# topic_conf NAME PREFIX: configs/topics/NAME.conf of a stand-in topic
topic_conf() {
	printf 'subject-prefix %s\nto linux-mm@kvack.org\ncc linux-kernel@vger.kernel.org\ncover %s\n' \
		"$2" "$T/cover.md" >"$TOPIC_CONF_DIR/$1.conf"
}

# base, apply, posting: the mails of the stand-in series
post() {
	run "$TOP/scripts/base.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$TOP/scripts/apply.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$TOP/scripts/topics.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$TOP/scripts/posting.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

# hdr NAME FILE: a mail header, unfolded
hdr() { sed -n '/^$/q; p' "$2" | sed -e ':a' -e 'N; $!ba' -e 's/\n[ \t]\+/ /g' | grep -i "^$1:"; }

@test "posting.sh and posting-check.sh answer --help" {
	for s in posting posting-check; do
		run "$TOP/scripts/$s.sh" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"build/posting"* ]]
	done
}

@test "posting: b4's mails, each patch to its own maintainers; build/src/linux and KSRC untouched" {
	echo 'recipients own' >>"$TOPIC_CONF_DIR/all.conf"
	# a fix for stable: the tag stays a trailer, stable@ gets no mail
	sed -i 's/^Signed-off-by: Tester <tester@example.org>$/&\nCc: stable@vger.kernel.org/' "$PATCHES"/0002-*.patch
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	run "$TOP/scripts/topics.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	src=$BUILD_DIR/src/linux
	before=$(git -C "$src" for-each-ref; git -C "$src" worktree list; git -C "$KSRC" for-each-ref; git -C "$KSRC" status --porcelain)
	run "$TOP/scripts/posting.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(git -C "$src" for-each-ref; git -C "$src" worktree list; git -C "$KSRC" for-each-ref; git -C "$KSRC" status --porcelain)" = "$before" ]
	[ "$(ls "$MAILS" | wc -l)" -eq 3 ]
	cover=$(ls "$MAILS"/0000-*.eml) p1=$(ls "$MAILS"/0001-*.eml) p2=$(ls "$MAILS"/0002-*.eml)
	hdr Subject "$cover" | grep -q '^Subject: \[PATCH 0/2\]'
	hdr Subject "$p1" | grep -qx 'Subject: \[PATCH 1/2\] mm/vmalloc: rename b'
	hdr Subject "$p2" | grep -qx 'Subject: \[PATCH 2/2\] x86/mm: add p2'
	# every mail to linux-mm (configs/posting.conf); per patch, its own maintainers
	for m in "$cover" "$p1" "$p2"; do hdr To "$m" | grep -q 'linux-mm@kvack.org'; done
	hdr Cc "$p1" | grep -q 'mm@example.org'
	[ -z "$(hdr Cc "$p1" | grep 'x86@')" ]
	hdr Cc "$p2" | grep -q 'x86@example.org'
	hdr Cc "$p2" | grep -q 'x86@kernel.org'
	[ -z "$(hdr Cc "$p2" | grep '<mm@example.org>')" ]
	hdr Cc "$cover" | grep -q 'mm@example.org'
	hdr Cc "$cover" | grep -q 'x86@example.org'
	# the KSRC base: the real commit in base-commit:, named in the letter
	grep -qx "base-commit: $BASE_SHA" "$cover"
	grep -q 'checked to apply there with git am' "$cover"
	grep -q 'The build and boot matrix was not run' "$cover"
	# the sender signs off what it passes on, and sends nothing to itself
	grep -q "^Signed-off-by: .*<$SENDER>" "$p1"
	for m in "$cover" "$p1" "$p2"; do
		[ -z "$(hdr To "$m" | grep -e "$SENDER" -e 'stable@')" ]
		[ -z "$(hdr Cc "$m" | grep -e "$SENDER" -e 'stable@')" ]
	done
	grep -qx 'Cc: stable@vger.kernel.org' "$p2"
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"topic all: git am of 2 mails"* ]]
	[[ "$output" == *"topic all: b4 am of the thread, then git am, gives the same tree"* ]]
	[[ "$output" == *"0 failures"* ]]
}

@test "posting-check fails on a mail whose Signed-off-by does not match its From" {
	post
	p1=$(ls "$MAILS"/0001-*.eml)
	sed -i 's/^Signed-off-by: .*/Signed-off-by: Someone Else <else@example.org>/' "$p1"
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$(basename "$p1"): no Signed-off-by: from its sender"* ]]
	[[ "$output" == *"not fit to send"* ]]
}

@test "posting-check fails on a wrong subject prefix, an oversize mail and a changed patch" {
	post
	p2=$(ls "$MAILS"/0002-*.eml)
	sed -i 's/^Subject: \[PATCH 2\/2\] x86\/mm: add p2/Subject: [PATCH 2\/2] mm: add p2/' "$p2"
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$(basename "$p2"): subject 'mm: add p2' does not start with an allowed prefix"* ]]
	[[ "$output" != *"git am of the mails gives tree"* ]]
	# a tree that is not the series' tree
	post
	p1=$(ls "$MAILS"/0001-*.eml)
	sed -i 's/^+int b2;/+int b3;/' "$p1"
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"git am of the mails gives tree"* ]]
	# a size limit from the config
	post
	sed -i 's/^max-mail-bytes .*/max-mail-bytes 100/' "$POSTING_CONF"
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"0001-"*"bytes, more than max-mail-bytes 100"* ]]
}

@test "V=2: [PATCH v2 ...], same change-id, changelog and range-diff against v1" {
	post
	id1=$(sed -n 's/^change-id: //p' "$MAILS"/0000-*.eml)
	# v2 changes the first patch
	sed -i 's/+int b2;/+int b22;/' "$PATCHES"/0001-*.patch
	run "$TOP/scripts/apply.sh"
	run "$TOP/scripts/topics.sh"
	V=2 run "$TOP/scripts/posting.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	cover=$(ls "$MAILS"/0000-*.eml)
	hdr Subject "$cover" | grep -q '^Subject: \[PATCH v2 0/2\]'
	hdr Subject "$(ls "$MAILS"/0002-*.eml)" | grep -q '^Subject: \[PATCH v2 2/2\] x86/mm: add p2'
	[ "$(sed -n 's/^change-id: //p' "$cover")" = "$id1" ]
	grep -qx 'Changes in v2:' "$cover"
	grep -qx -- '- changed: mm/vmalloc: rename b' "$cover"
	grep -qx 'Range-diff against v1 (posted from this build directory, tag posting/mm-series-all-v1):' "$cover"
	grep -qE '^2: +[0-9a-f]+ = 2: +[0-9a-f]+ x86/mm: add p2$' "$cover"
	[ -d "$BUILD_DIR/posting-work/all/v1" ] && [ -d "$BUILD_DIR/posting-work/all/v2" ]
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "a one-patch series: one mail with the cover text below its ---, and the check passes" {
	head -n 2 "$SERIES" >"$SERIES.one"
	export SERIES=$SERIES.one
	post
	[ "$(ls "$MAILS" | wc -l)" -eq 1 ]
	m=$(ls "$MAILS"/*.eml)
	hdr Subject "$m" | grep -qx 'Subject: \[PATCH\] mm/vmalloc: rename b'
	grep -qx "base-commit: $BASE_SHA" "$m"
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"topic all: git am of 1 mails"* ]]
}

@test "two topics: each applies alone, its own mails, prefix and recipients; a dependent topic is refused" {
	printf '#@topic mm\n%s\n#@topic x86\n%s\n' "$(sed -n 2p "$SERIES")" "$(sed -n 3p "$SERIES")" >"$SERIES.two"
	export SERIES=$SERIES.two
	topic_conf mm PATCH
	topic_conf x86 'PATCH RFC'
	sed -i 's/^to .*/to x86@kernel.org/' "$TOPIC_CONF_DIR/x86.conf"
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	run "$TOP/scripts/topics.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	src=$BUILD_DIR/src/linux
	# each topic's own tree: the base and its one patch
	[ "$(git -C "$src" rev-list --count "$BASE_SHA..refs/topics/mm")" -eq 1 ]
	[ "$(git -C "$src" rev-list --count "$BASE_SHA..refs/topics/x86")" -eq 1 ]
	git -C "$src" diff --quiet "$BASE_SHA" refs/topics/x86 -- mm/vmalloc.c
	run "$TOP/scripts/posting.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(ls "$BUILD_DIR/posting/mm" | wc -l)" -eq 1 ] && [ "$(ls "$BUILD_DIR/posting/x86" | wc -l)" -eq 1 ]
	m=$(ls "$BUILD_DIR"/posting/mm/*.eml) x=$(ls "$BUILD_DIR"/posting/x86/*.eml)
	hdr Subject "$m" | grep -qx 'Subject: \[PATCH\] mm/vmalloc: rename b'
	hdr Subject "$x" | grep -qx 'Subject: \[PATCH RFC\] x86/mm: add p2'
	hdr To "$x" | grep -q 'x86@kernel.org'
	[ -z "$(hdr To "$x" | grep 'linux-mm@')" ]
	# different change-ids
	[ "$(sed -n 's/^change-id: //p' "$m")" != "$(sed -n 's/^change-id: //p' "$x")" ]
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"2 topics checked (mm x86), 0 failures"* ]]
	TOPIC=x86 run "$TOP/scripts/posting-check.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 topics checked (x86)"* ]]
	TOPIC=nope run "$TOP/scripts/topics.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"TOPIC=nope: no such topic"* ]]

	# a second mm patch in topic x86 that needs the first: not alone, named
	git -C "$KSRC" checkout -q -b dep
	git -C "$KSRC" am -q "$(sed -n 2p "$SERIES" | sed "s#^#$PATCHES/#")"
	sed -i 's/int b2;/int b3;/' "$KSRC/mm/vmalloc.c"
	standin_commit "mm/vmalloc: rename b2"
	git -C "$KSRC" format-patch -q -o "$PATCHES" -1 --start-number 9
	git -C "$KSRC" checkout -q master
	echo 0009-mm-vmalloc-rename-b2.patch >>"$SERIES"
	run "$TOP/scripts/apply.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$TOP/scripts/topics.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"topic x86: 0009-mm-vmalloc-rename-b2.patch does not apply to the base without the other topics (failed: mm/vmalloc.c)"* ]]
	[ -z "$(git -C "$BUILD_DIR/wt/topics" status --porcelain)" ]
}

@test "POST_AS: the sender's own patches, the project's sign-off replaced, the origin noted" {
	# patches of the project's identity, as in patches/
	proj=$(git -C "$TOP" config user.name)
	sed -i "s/^From: Tester <tester@example.org>/From: $proj <$SENDER>/; s/^Signed-off-by: Tester <tester@example.org>/Signed-off-by: $proj <$SENDER>/" "$PATCHES"/*.patch
	run "$TOP/scripts/base.sh"
	run "$TOP/scripts/apply.sh"
	run "$TOP/scripts/topics.sh"
	POST_AS='Jane Doe <jane@example.org>' run "$TOP/scripts/posting.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	p1=$(ls "$MAILS"/0001-*.eml)
	hdr From "$p1" | grep -qx 'From: Jane Doe <jane@example.org>'
	grep -q '^Signed-off-by: Jane Doe <jane@example.org>' "$p1"
	! grep -q "^Signed-off-by: .*<$SENDER>" "$p1"
	! grep -q '^From: Tester' "$p1"
	grep -q 'written and tested in the mm-series project' "$p1"
	run "$TOP/scripts/posting-check.sh"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	POST_AS='no address' run "$TOP/scripts/posting.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not 'Full Name <address>'"* ]]
}

@test "recipients all (the default): every mail to every maintainer of the topic, no Cc: trailers" {
	post
	for m in "$MAILS"/*.eml; do
		hdr Cc "$m" | grep -q 'mm@example.org'
		hdr Cc "$m" | grep -q 'x86@example.org'
		[ -z "$(sed '1,/^$/d' "$m" | grep '^Cc: .*@example.org')" ]
	done
}

#!/usr/bin/env bats
# Tests of scripts/deps.sh (never removes a package) and of the private apt
# sources' mirror derivation (lib.sh debian_mirrors, apt_private_sources),
# on a made-up /etc/apt and a fake apt-get.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	T=$BATS_TEST_TMPDIR
	export BUILD_DIR=$T/build CACHE_DIR=$T/cache APT_ETC=$T/etc-apt
	unset APT_MIRROR
	mkdir -p "$APT_ETC/sources.list.d"
}

# sources: the private sources.list that lib.sh makes from APT_ETC
sources() {
	run bash -c '. "$1/scripts/lib.sh" && apt_private_sources "$2" && cat "$2"' _ "$TOP" "$T/out.list"
}

@test "mirror: one-line .list files: the Debian entries' URIs, not security, deb-src or other archives" {
	cat >"$APT_ETC/sources.list" <<-'L'
		# the company's mirror
		deb [arch=amd64 signed-by=/etc/keys/debian.gpg] http://mirror.corp.example/debian/ bookworm main contrib
		deb-src http://mirror.corp.example/debian bookworm main
		deb http://mirror.corp.example/debian-security bookworm-security main
		deb http://mirror.corp.example/debian bookworm-updates main
	L
	printf 'deb https://packages.vendor.example/apt cloud-sdk-bookworm main\n' >"$APT_ETC/sources.list.d/vendor.list"
	sources
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "deb [signed-by=/etc/keys/debian.gpg] http://mirror.corp.example/debian trixie-backports main" ]
	[ "${lines[1]}" = "deb [signed-by=/etc/keys/debian.gpg] http://mirror.corp.example/debian sid main" ]
}

@test "mirror: deb822 .sources: every URI of an enabled Debian stanza, default keyring" {
	cat >"$APT_ETC/sources.list.d/debian.sources" <<-'S'
		Types: deb deb-src
		# a snapshot comment
		URIs: http://a.example/debian http://b.example/debian
		Suites: bookworm bookworm-updates
		Components: main

		Types: deb
		URIs: http://a.example/debian-security
		Suites: bookworm-security
		Components: main

		Types: deb
		URIs: http://off.example/debian
		Suites: trixie
		Components: main
		Enabled: no

		Types: deb
		URIs: https://deb.vendor.example/node
		Suites: nodistro
		Components: main
	S
	sources
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://a.example/debian trixie-backports main" ]
	[ "${lines[2]}" = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://b.example/debian trixie-backports main" ]
	[[ "$output" != *off.example* ]]
	[[ "$output" != *security* ]]
}

@test "mirror: none in the system's sources is refused with the way out; APT_MIRROR overrides" {
	printf 'deb https://packages.vendor.example/apt stable-vendor main\n' >"$APT_ETC/sources.list"
	sources
	[ "$status" -ne 0 ]
	[[ "$output" == *"no Debian mirror in the system's apt sources"*"APT_MIRROR="* ]]
	export APT_MIRROR=http://proxy.example:3142/debian
	sources
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://proxy.example:3142/debian sid main" ]
}

@test "mirror: no mirror host is written in the repository's configs" {
	run grep -rIl 'deb\.debian\.org\|http://\|https://' "$TOP/configs/apt"
	[ "$status" -eq 1 ]
}

# a fake apt-get (and dpkg-query: nothing is installed) in PATH; every call
# is logged; a simulated install of gcc-aarch64-linux-gnu removes gcc-multilib
fake_apt() {
	mkdir -p "$T/bin"
	cat >"$T/bin/apt-get" <<-'A'
		#!/bin/sh
		echo "apt-get $*" >>"$FAKE_APT_LOG"
		case " $* " in *" -s "*)
			case " $* " in *" gcc-aarch64-linux-gnu "*)
				echo "Remv gcc-multilib [4:12.2.0-3]"
				echo "Inst gcc-aarch64-linux-gnu (4:12.2.0-3 Debian:12 [amd64])" ;;
			esac
			exit 0 ;;
		esac
		exit 0
	A
	printf '#!/bin/sh\nexit 1\n' >"$T/bin/dpkg-query"
	chmod +x "$T/bin/apt-get" "$T/bin/dpkg-query"
	export FAKE_APT_LOG=$T/apt.log PATH="$T/bin:$PATH"
	: >"$FAKE_APT_LOG"
}

@test "deps: an install that would remove a package stops first, naming both; nothing installed" {
	fake_apt
	run "$TOP/scripts/deps.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"would remove gcc-multilib (removed by installing gcc-aarch64-linux-gnu)"* ]]
	[[ "$output" == *"nothing was installed or removed"* ]]
	# apt-get was asked to simulate only: no real install
	run grep -v -- ' -s ' "$FAKE_APT_LOG"
	[ "$output" = "apt-get -q update" ]
}

@test "deps: without a removal, the install runs with --no-remove" {
	fake_apt
	# nothing conflicts: the fake apt removes nothing for a list without the cross compiler
	grep -v '^gcc-aarch64-linux-gnu$' "$TOP/configs/deps.list" >"$T/deps.list"
	DEPS_LIST=$T/deps.list run "$TOP/scripts/deps.sh"
	[[ "$output" != *"would remove"* ]]
	grep -q -- '-y --no-remove --no-install-recommends install' "$FAKE_APT_LOG"
}

@test "a cross compiler that does not run stops the stage at once, naming the package" {
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "unknown C compiler" >&2\nexit 1\n' >"$T/bin/aarch64-linux-gnu-gcc"
	chmod +x "$T/bin/aarch64-linux-gnu-gcc"
	for s in build.sh "static.sh sparse" bisect.sh; do
		# shellcheck disable=SC2086 # a script and its argument
		ARCH=arm64 PATH="$T/bin:$PATH" run $TOP/scripts/$s
		[ "$status" -ne 0 ]
		[[ "$output" == *"aarch64-linux-gnu-gcc (the arm64 compiler) does not run: install Debian's gcc-aarch64-linux-gnu"* ]] ||
			{ echo "$s: $output"; false; }
	done
}

@test "static cache: same inputs hit, another base, format, config or object list misses" {
	run bash -c '
		. "$1/scripts/lib.sh"
		BASE_COMMIT=abc STATIC_CACHE_FORMAT=1
		k1=$(static_cache_key w1 x86_64 mm/vmalloc.o)
		k2=$(static_cache_key w1 x86_64 mm/vmalloc.o)
		[ "$k1" = "$k2" ] || { echo "same inputs, two keys"; exit 1; }
		static_cache_get "$k1" "$2/f" && { echo "hit before any put"; exit 1; }
		echo "mm/vmalloc.c: warning: x" >"$2/in"
		static_cache_put "$k1" "$2/in"
		static_cache_get "$k1" "$2/f" && cmp "$2/in" "$2/f" || { echo "no hit after put"; exit 1; }
		[ "$(static_cache_key w1 x86_64 mm/vmalloc.o mm/memory.o)" != "$k1" ] || { echo "objects ignored"; exit 1; }
		[ "$(static_cache_key sparse x86_64 mm/vmalloc.o)" != "$k1" ] || { echo "checker ignored"; exit 1; }
		[ "$(static_cache_key w1 i386 mm/vmalloc.o)" != "$k1" ] || { echo "arch ignored"; exit 1; }
		STATIC_CACHE_FORMAT=2
		[ "$(static_cache_key w1 x86_64 mm/vmalloc.o)" != "$k1" ] || { echo "format ignored"; exit 1; }
		STATIC_CACHE_FORMAT=1 BASE_COMMIT=def
		[ "$(static_cache_key w1 x86_64 mm/vmalloc.o)" != "$k1" ] || { echo "base ignored"; exit 1; }
		echo ok' _ "$TOP" "$T"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = ok ]
}

@test "bisect cache: the key follows the prefix's tree and the arch, not the commit" {
	src=$BUILD_DIR/src/linux
	mkdir -p "$src"
	git -C "$src" init -q
	echo a >"$src/f"
	git -C "$src" add f
	git -C "$src" -c user.name=T -c user.email=t@example.org commit -q -m one
	git -C "$src" -c user.name=T -c user.email=t@example.org commit -q --amend -m "one, reworded"
	c1=$(git -C "$src" rev-parse HEAD)
	echo b >"$src/f"
	git -C "$src" -c user.name=T -c user.email=t@example.org commit -q -am two
	c2=$(git -C "$src" rev-parse HEAD)
	git -C "$src" -c user.name=T -c user.email=t@example.org commit -q --allow-empty -m "three, empty"
	c3=$(git -C "$src" rev-parse HEAD)
	run bash -c '. "$1/scripts/lib.sh"
		BISECT_CACHE_FORMAT=1
		[ "$(bisect_key x86_64 "$2")" != "$(bisect_key x86_64 "$3")" ] || { echo "tree ignored"; exit 1; }
		[ "$(bisect_key x86_64 "$3")" = "$(bisect_key x86_64 "$4")" ] || { echo "same tree, two keys"; exit 1; }
		[ "$(bisect_key x86_64 "$2")" != "$(bisect_key i386 "$2")" ] || { echo "arch ignored"; exit 1; }
		[ "$(bisect_key x86_64 "$2")" != "$(BISECT_CACHE_FORMAT=2 bisect_key x86_64 "$2")" ] || { echo "format ignored"; exit 1; }
		echo ok' _ "$TOP" "$c1" "$c2" "$c3"
	[ "$output" = ok ] || { echo "$output"; false; }
}

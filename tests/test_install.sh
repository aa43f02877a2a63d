#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# test_install.sh - libsloba as a user gets it: `make install PREFIX=` into a
# scratch folder, then the README's example built through pkg-config against
# the shared and the static library, run, and checked.  Speaks TAP.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
check() {	# check DESCRIPTION COMMAND...
	n=$((n + 1))
	if "${@:2}" > "$tmp/out.$n" 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/out.$n"
	fi
}
echo "1..9"
check "make install PREFIX=..." \
	make -s -C "$repo" install-user PREFIX="$tmp/prefix" BUILD="$tmp/build"
check "header, libraries and pkg-config file installed" \
	test -f "$tmp/prefix/include/libsloba.h" -a -f "$tmp/prefix/include/sloba_info.h" \
	-a -f "$tmp/prefix/lib/libsloba.a" -a -L "$tmp/prefix/lib/libsloba.so" \
	-a -f "$tmp/prefix/lib/pkgconfig/libsloba.pc"
cat > "$tmp/app.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <libsloba.h>

struct point { double x, y; };

int main(void)
{
	sloba_cache_t *points = sloba_cache_create("points", sizeof(struct point),
						   0, SLOBA_HWCACHE_ALIGN, NULL);
	struct point *p = sloba_cache_alloc(points, SLOBA_GFP_ZERO);
	char *s = sloba_kmalloc(100, 0);

	if (!p || !s || p->x != 0 || sloba_ksize(s) < 100)
		return 1;
	strcpy(s, "hello");
	puts(s);
	sloba_kfree(s);
	sloba_cache_free(points, p);
	sloba_slabinfo(1);
	return sloba_cache_destroy(points);
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
check "pkg-config knows libsloba" pkg-config --exists libsloba
check "compiles against the shared library" \
	sh -c "cc -Wall -Wextra -Werror '$tmp/app.c' -o '$tmp/app' \$(pkg-config --cflags --libs libsloba)"
check "runs with the shared library" \
	sh -c "LD_LIBRARY_PATH='$tmp/prefix/lib' '$tmp/app' | grep -q '^points '"
check "compiles against the static library" \
	sh -c "cc -Wall -Wextra -Werror '$tmp/app.c' -o '$tmp/app-static' \$(pkg-config --cflags libsloba) \
		-L'$tmp/prefix/lib' -Wl,-Bstatic -lsloba -Wl,-Bdynamic -lurcu-memb -lpthread"
check "runs without libsloba.so" \
	sh -c "! ldd '$tmp/app-static' | grep -q libsloba && '$tmp/app-static' | grep -q hello"
check "libsloba-malloc.so and .a installed" \
	test -f "$tmp/prefix/lib/libsloba-malloc.so" -a -f "$tmp/prefix/lib/libsloba-malloc.a"
check "ls runs with the installed libsloba-malloc.so preloaded" \
	sh -c "LD_PRELOAD='$tmp/prefix/lib/libsloba-malloc.so' ls '$tmp/prefix/lib' 2>&1 | grep -qx libsloba-malloc.a"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# test_programs.sh [LIBSLOBA_MALLOC_SO] - Debian's own programs with sloba as
# their malloc (LD_PRELOAD), each checked on what it produced: Python runs
# part of its own test suite, git builds and checks a repository, gcc
# compiles a program that must then print the right answer, sqlite3 and perl
# compute results compared with the same run on glibc's malloc, and
# redis-server serves redis-benchmark on the loopback interface and keeps
# the data it was given.  Every run must also leave stderr free of sloba's
# reports and of loader errors.  Speaks TAP.
set -u
# Debian's own programs, whatever else PATH holds (a pyenv python, say).
so=$(realpath "${1:-$SLOBA_MALLOC_SO}")
tmp=$(mktemp -d)
redis_pid=
cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -f "$2" ] && tail -20 "$2" | sed 's/^/# /'
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds under sloba
# and its stderr holds no report from sloba or from the loader.
check() {
	local log=$tmp/log.$((n + 1))
	if LD_PRELOAD=$so "${@:2}" > "$log" 2> "$log.err" &&
	   ! grep -E '^sloba:|cannot be preloaded' "$log.err" >> "$log"; then
		ok "$1"
	else
		cat "$log.err" >> "$log"
		not_ok "$1" "$log"
	fi
}
# same DESCRIPTION COMMAND...: COMMAND's output must be the same under
# sloba as under glibc's malloc.
same() {
	local log=$tmp/log.$((n + 1))
	"${@:2}" > "$log.want" 2>&1
	if LD_PRELOAD=$so "${@:2}" > "$log" 2> "$log.err" &&
	   ! grep -E '^sloba:|cannot be preloaded' "$log.err" &&
	   cmp -s "$log" "$log.want"; then
		ok "$1"
	else
		diff "$log.want" "$log" | head -20 >> "$log.err"
		not_ok "$1" "$log.err"
	fi
}

echo "1..10"

# sloba really is the malloc of a preloaded program.
check "python3 allocates from sloba's arena" /usr/bin/python3 -c '
import ctypes
lib = ctypes.CDLL(None)
class Stats(ctypes.Structure):
    _fields_ = [(f, ctypes.c_size_t) for f in
                ("arena", "free", "slab", "large", "resident")] + [("purges", ctypes.c_ulong)]
blobs = [bytes(1000) * i for i in range(300)]
st = Stats()
lib.sloba_page_stats(ctypes.byref(st))
assert st.slab > 100 and st.large > 1000, (st.slab, st.large)
'

# Python's own regression tests: containers, text, regexes, threads.
check "python3 -m test (13 modules of its own suite)" \
	/usr/bin/python3 -m test \
	test_dict test_list test_set test_json test_re test_collections \
	test_itertools test_bytes test_long test_deque test_heapq test_sort \
	test_threading

# git: a repository with history, packed, verified, and read back.
repo=$tmp/repo
check "git init, 30 commits, gc, fsck" sh -c "
	git init -q '$repo' && cd '$repo' &&
	git config user.email t@example.org && git config user.name t &&
	for i in \$(seq 30); do
		seq \$i 1000 > f\$((i % 7)) && seq 1 \$i > g\$i &&
		git add -A && git commit -qm \"commit \$i\" || exit 1
	done &&
	git gc -q --aggressive && git fsck --strict --no-progress &&
	test \"\$(git rev-list --count HEAD)\" = 30"
same "git log and diff read back the same" \
	sh -c "cd '$repo' && git log --stat --format='%s' && git diff HEAD~20 HEAD | md5sum"

# gcc: every stage (cc1, as, collect2, ld) inherits the preload.
cat > "$tmp/prog.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
int main(void)
{
	enum { N = 20000 };
	char **s = malloc(N * sizeof(*s));
	unsigned long h = 0;
	for (int i = 0; i < N; i++) {
		s[i] = malloc(16);
		snprintf(s[i], 16, "%d", (i * 7919) % N);
	}
	qsort(s, N, sizeof(*s), cmp);
	for (int i = 0; i < N; i++) {
		h = h * 31 + strtoul(s[i], NULL, 10);
		free(s[i]);
	}
	free(s);
	printf("%lu\n", h);
	return 0;
}
C
check "gcc -O2 compiles a program" gcc -O2 -Wall -Werror "$tmp/prog.c" -o "$tmp/prog"
same "the program gcc built prints the right answer" "$tmp/prog"

# sqlite3: 200,000 rows, an index, aggregates and a join.
same "sqlite3 computes the same results" sqlite3 :memory: "
	CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
	WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
	INSERT INTO t SELECT x, printf('key-%d', x * 7 % 1000), x * x % 9973 FROM c;
	CREATE INDEX tk ON t(k);
	SELECT count(*), sum(v), count(DISTINCT k) FROM t;
	SELECT k, sum(v) FROM t GROUP BY k ORDER BY sum(v) DESC LIMIT 3;
	SELECT count(*) FROM t a JOIN t b ON a.k = b.k AND a.id < b.id WHERE a.id < 2000;"

# perl: hashes, strings, regexes, sorting.
same "perl computes the same results" perl -e '
	my %h; my $s = "";
	for my $i (1 .. 200000) { $h{"k" . ($i * 7 % 50000)} .= $i % 10; }
	for my $k (sort keys %h) { $s .= length($h{$k}); }
	my @w = ($s =~ /(1+0)/g);
	print scalar(keys %h), " ", length($s), " ", scalar(@w), "\n";
	my @big = map { "x" x ($_ % 5000) } 1 .. 3000;
	print length(join("", @big)), "\n";'

# redis: server under sloba, load from redis-benchmark, then read back.
port=$((20000 + $$ % 20000))
LD_PRELOAD=$so redis-server --port "$port" --bind 127.0.0.1 --save '' \
	--appendonly no --daemonize no --logfile "$tmp/redis.log" 2> "$tmp/redis.err" &
redis_pid=$!
for _ in $(seq 100); do
	redis-cli -p "$port" ping > /dev/null 2>&1 && break
	sleep 0.1
done
if grep -q libsloba-malloc "/proc/$redis_pid/maps" 2>/dev/null &&
   redis-benchmark -h 127.0.0.1 -p "$port" -q -n 20000 -c 20 -r 10000 -d 200 \
	-t set,get,lpush,lpop,sadd,hset,incr,mset > "$tmp/bench.out" 2>&1 &&
   [ "$(grep -c 'requests per second' "$tmp/bench.out")" -ge 8 ]; then
	ok "redis-benchmark against redis-server on 127.0.0.1"
else
	not_ok "redis-benchmark against redis-server on 127.0.0.1" "$tmp/bench.out"
fi
if redis-cli -p "$port" flushall > /dev/null &&
   for i in $(seq 200); do echo "SET key:$i $(printf 'v%.0s' $(seq $((i % 50 + 1))))"; done |
	redis-cli -p "$port" > /dev/null &&
   [ "$(redis-cli -p "$port" dbsize)" = 200 ] &&
   [ "$(redis-cli -p "$port" strlen key:149)" = 50 ] &&
   redis-cli -p "$port" debug digest > /dev/null &&
   ! grep -q '^sloba:' "$tmp/redis.err"; then
	ok "redis-server keeps what it was given"
else
	not_ok "redis-server keeps what it was given" "$tmp/redis.log"
fi
exit $((failed > 0))

# SPDX-License-Identifier: GPL-2.0-only
#
# libsloba: the SLOBA core built for userspace, its tests and benchmark.
#
# Five builds of the same sources, each in its own folder:
#   $(BUILD)/user/opt    -O2, the library that gets installed and measured,
#                        and the drop-in malloc (libsloba-malloc.so/.a)
#   $(BUILD)/user/asan   AddressSanitizer + UndefinedBehaviorSanitizer, with
#                        sloba's objects poisoned (user/sanitize.c)
#   $(BUILD)/user/tsan   ThreadSanitizer (the threaded tests)
#   $(BUILD)/user/vg     Valgrind client requests (user/sanitize.c)
#   $(BUILD)/user/fuzz   clang ASan + UBSan + libFuzzer coverage, for
#                        tests/fuzz_api.c

# What this part's targets need, installed by each of them first (deps-user),
# so `make lib`, `make test-user` and `make bench-user` work on a fresh
# machine; the programs are those run under the drop-in malloc
# (tests/test_programs.sh, bench/malloc/).
# `make lib` needs only USER_LIB_APT (deps-user-lib).
USER_LIB_APT := gcc make pkg-config libc6-dev liburcu-dev valgrind
USER_APT := $(USER_LIB_APT) clang libcmocka-dev libjemalloc-dev \
	    libmimalloc-dev libgoogle-perftools-dev libclang-rt-14-dev python3 \
	    libpython3.11-testsuite git sqlite3 perl redis-server redis-tools time
APT_PACKAGES += $(USER_APT)
TEST_TARGETS += test-user
BENCH_TARGETS += bench-user bench-malloc

CC ?= cc
PREFIX ?= /usr/local
USER_OUT := $(BUILD)/user
USER_SRCS := core/sloba.c user/pages.c user/threads.c user/api.c user/fork.c \
	     user/harden.c
USER_HDRS := $(wildcard core/*.h user/*.h include/*.h)
USER_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -fPIC -g \
	       -Icore -Iuser -Iinclude $(CFLAGS)
USER_LIBS := -lurcu-memb -lpthread

# The TSan build uses clang, the others gcc: both compilers see -Werror.
VARIANT_CC_opt  := $(CC)
VARIANT_CC_asan := $(CC)
VARIANT_CC_tsan := clang
VARIANT_CFLAGS_opt  := -O2
VARIANT_CFLAGS_asan := -O1 -fno-omit-frame-pointer \
		       -fsanitize=address,undefined -fno-sanitize-recover=all \
		       -DSLOBA_HARDENED=1 -DSLOBA_RESERVES=1
VARIANT_CFLAGS_tsan := -O1 -fsanitize=thread
# Valgrind's client requests (sanitize.c), and the fuzzer's clang ASan build.
VARIANT_CC_vg   := $(CC)
VARIANT_CC_fuzz := clang
VARIANT_CFLAGS_vg   := -O1 -DSLOBA_VALGRIND
VARIANT_CFLAGS_fuzz := -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link \
		       -fsanitize=address,undefined -fno-sanitize-recover=all

USER_TESTS := test_api test_debug test_faults test_threads test_rcu test_tier \
	      test_fork
TSAN_TESTS := test_threads test_rcu test_tier test_fork
# test_tier counts where each free lands (main, spare, barn); the ASan
# build's quarantine delays frees on purpose and hands them back later,
# so the tier's bookkeeping is checked in the other builds.
ASAN_TESTS := $(filter-out test_tier,$(USER_TESTS))

.PHONY: lib lib-user test-user bench-user install install-user deps-user \
	deps-user-lib
deps-user:
	@scripts/install-deps $(sort $(USER_APT))
deps-user-lib:
	@scripts/install-deps $(sort $(USER_LIB_APT))

all: lib
lib: lib-user
lib-user: $(USER_OUT)/opt/libsloba.a $(USER_OUT)/opt/libsloba.so \
	  $(USER_OUT)/opt/libsloba-malloc.so $(USER_OUT)/opt/libsloba-malloc.a \
	  $(USER_OUT)/libsloba.pc

# What a variant's compiler needs installed first (clang is a test package).
VARIANT_DEPS_opt  := deps-user-lib
VARIANT_DEPS_asan := deps-user-lib
VARIANT_DEPS_vg   := deps-user-lib
VARIANT_DEPS_tsan := deps-user
VARIANT_DEPS_fuzz := deps-user

# The sanitizer builds add user/sanitize.c, which wraps the core's object
# calls (renamed when the core is compiled: SLOBA_CORE_UNIT, sanitize.h).
VARIANT_SRCS_opt  := $(USER_SRCS)
VARIANT_SRCS_tsan := $(USER_SRCS)
VARIANT_SRCS_asan := $(USER_SRCS) user/sanitize.c
VARIANT_SRCS_vg   := $(USER_SRCS) user/sanitize.c
VARIANT_SRCS_fuzz := $(USER_SRCS) user/sanitize.c

define user_variant
$(USER_OUT)/$(1)/core/sloba.o: CORE_UNIT := -DSLOBA_CORE_UNIT
$(USER_OUT)/$(1)/%.o: %.c $(USER_HDRS) | $(VARIANT_DEPS_$(1))
	@mkdir -p $$(dir $$@)
	$$(VARIANT_CC_$(1)) $$(USER_CFLAGS) $$(VARIANT_CFLAGS_$(1)) $$(CORE_UNIT) -c $$< -o $$@

$(USER_OUT)/$(1)/libsloba.a: $(VARIANT_SRCS_$(1):%.c=$(USER_OUT)/$(1)/%.o)
	@rm -f $$@
	ar rcs $$@ $$^

$(USER_OUT)/$(1)/test_%: tests/test_%.c tests/testutil.h $(USER_OUT)/$(1)/libsloba.a | deps-user
	$$(VARIANT_CC_$(1)) $$(USER_CFLAGS) $$(VARIANT_CFLAGS_$(1)) $$< -o $$@ \
		$(USER_OUT)/$(1)/libsloba.a -lcmocka $$(USER_LIBS)
endef
$(foreach v,opt asan tsan vg fuzz,$(eval $(call user_variant,$(v))))

# The victim of tests/test_sanitize.sh, in the ASan and the Valgrind build.
$(USER_OUT)/%/sanitize_victim: tests/sanitize_victim.c $(USER_OUT)/%/libsloba.a | deps-user
	$(VARIANT_CC_$*) $(USER_CFLAGS) $(VARIANT_CFLAGS_$*) $< -o $@ \
		$(USER_OUT)/$*/libsloba.a $(USER_LIBS)

# The differential fuzzer (tests/fuzz_api.c): libFuzzer, clang ASan+UBSan.
FUZZ_SECONDS ?= 60
export FUZZ_SECONDS
$(USER_OUT)/fuzz/fuzz_api: tests/fuzz_api.c $(USER_OUT)/fuzz/libsloba.a | deps-user
	clang $(USER_CFLAGS) -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$< -o $@ $(USER_OUT)/fuzz/libsloba.a $(USER_LIBS)

# The drop-in's own tests link the archive, so their malloc() is sloba's.
$(USER_OUT)/opt/test_malloc: tests/test_malloc.c tests/testutil.h $(USER_OUT)/opt/libsloba-malloc.a
	$(CC) $(USER_CFLAGS) -O2 $< -o $@ $(USER_OUT)/opt/libsloba-malloc.a -lcmocka $(USER_LIBS)

# The first calls of a process (tests/test_early.c): linked with the archive
# (exporting its symbols for dlsym), and plain, to run under LD_PRELOAD.
$(USER_OUT)/opt/test_early_static: tests/test_early.c $(USER_OUT)/opt/libsloba-malloc.a
	$(CC) $(USER_CFLAGS) -O2 -rdynamic $< -o $@ $(USER_OUT)/opt/libsloba-malloc.a $(USER_LIBS) -ldl

$(USER_OUT)/opt/test_early: tests/test_early.c | deps-user
	$(CC) $(USER_CFLAGS) -O2 $< -o $@ $(USER_LIBS) -ldl

$(USER_OUT)/opt/test_fork_malloc: tests/test_fork.c tests/testutil.h $(USER_OUT)/opt/libsloba-malloc.a
	$(CC) $(USER_CFLAGS) -O2 -DUSE_MALLOC $< -o $@ $(USER_OUT)/opt/libsloba-malloc.a -lcmocka $(USER_LIBS)

$(USER_OUT)/opt/libsloba.so: $(USER_SRCS:%.c=$(USER_OUT)/opt/%.o)
	$(CC) -shared -Wl,-soname,libsloba.so.0 -o $@ $^ $(USER_LIBS)

# The drop-in malloc (user/malloc.c): the same objects plus malloc.o, as a
# library to LD_PRELOAD and as an archive to link statically.
MALLOC_OBJS := $(USER_SRCS:%.c=$(USER_OUT)/opt/%.o) $(USER_OUT)/opt/user/malloc.o
$(USER_OUT)/opt/libsloba-malloc.so: $(MALLOC_OBJS)
	$(CC) -shared -Wl,-soname,libsloba-malloc.so -o $@ $^ $(USER_LIBS)

$(USER_OUT)/opt/libsloba-malloc.a: $(MALLOC_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(USER_OUT)/libsloba.pc: user/libsloba.pc.in
	@mkdir -p $(dir $@)
	sed 's|@PREFIX@|$(PREFIX)|' $< > $@

# Every test program runs in the optimised and the ASan+UBSan build, the
# threaded ones in the TSan build too, and the general ones once more with
# SLOBA_DEBUG=1 (every cache checked and poisoned); scripts/run-tap counts
# TAP lines.
test-user: | deps-user
test-user: $(foreach t,$(USER_TESTS),$(USER_OUT)/opt/$(t)) \
	   $(foreach t,$(ASAN_TESTS),$(USER_OUT)/asan/$(t)) \
	   $(foreach t,$(TSAN_TESTS),$(USER_OUT)/tsan/$(t)) \
	   $(USER_OUT)/opt/test_malloc $(USER_OUT)/opt/test_fork_malloc \
	   $(USER_OUT)/opt/test_early $(USER_OUT)/opt/test_early_static \
	   $(USER_OUT)/opt/libsloba-malloc.so \
	   $(USER_OUT)/asan/sanitize_victim $(USER_OUT)/vg/sanitize_victim \
	   $(USER_OUT)/fuzz/fuzz_api
	@scripts/run-tap test-user-opt $(foreach t,$(USER_TESTS),$(USER_OUT)/opt/$(t)) \
		$(USER_OUT)/opt/test_malloc $(USER_OUT)/opt/test_fork_malloc \
		$(USER_OUT)/opt/test_early_static
	@LD_PRELOAD=$(USER_OUT)/opt/libsloba-malloc.so \
	 scripts/run-tap test-user-early-preload $(USER_OUT)/opt/test_early
	@SLOBA_DEBUG=1 scripts/run-tap test-user-debug-all \
		$(foreach t,test_api test_faults test_threads,$(USER_OUT)/opt/$(t))
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 scripts/run-tap test-user-asan $(foreach t,$(ASAN_TESTS),$(USER_OUT)/asan/$(t))
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66 die_after_fork=0 suppressions=$(CURDIR)/tests/tsan.supp" \
	 scripts/run-tap test-user-tsan $(foreach t,$(TSAN_TESTS),$(USER_OUT)/tsan/$(t))
	@scripts/run-tap test-user-install tests/test_install.sh
	@SLOBA_ASAN_VICTIM=$(USER_OUT)/asan/sanitize_victim \
	 SLOBA_VG_VICTIM=$(USER_OUT)/vg/sanitize_victim \
	 scripts/run-tap test-user-sanitize tests/test_sanitize.sh
	@SLOBA_FUZZER=$(USER_OUT)/fuzz/fuzz_api \
	 scripts/run-tap test-user-fuzz tests/test_fuzz.sh
	@SLOBA_MALLOC_SO=$(USER_OUT)/opt/libsloba-malloc.so \
	 scripts/run-tap test-user-programs tests/test_programs.sh

install: install-user
install-user: lib-user
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/libsloba.h core/sloba_info.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(USER_OUT)/opt/libsloba.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(USER_OUT)/opt/libsloba.so $(DESTDIR)$(PREFIX)/lib/libsloba.so.0
	ln -sf libsloba.so.0 $(DESTDIR)$(PREFIX)/lib/libsloba.so
	install -m 644 $(USER_OUT)/libsloba.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(USER_OUT)/opt/libsloba-malloc.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(USER_OUT)/opt/libsloba-malloc.a $(DESTDIR)$(PREFIX)/lib/

# The micro-benchmark against glibc, jemalloc, mimalloc and tcmalloc.
$(USER_OUT)/opt/user_bench: bench/user_bench.c $(USER_OUT)/opt/libsloba.a
	$(CC) $(USER_CFLAGS) -O2 $< -o $@ $(USER_OUT)/opt/libsloba.a $(USER_LIBS)

bench-user: $(USER_OUT)/opt/user_bench | deps-user
	bench/run-user-bench.sh $< $(BUILD)/bench/user.json $(BENCH_ARGS)

# Producer/consumer: libsloba's counters per 1000 pairs, ns against peers.
$(USER_OUT)/opt/prodcons: bench/prodcons.c $(USER_OUT)/opt/libsloba.a
	$(CC) $(USER_CFLAGS) -O2 $< -o $@ $(USER_OUT)/opt/libsloba.a $(USER_LIBS)

BENCH_TARGETS += bench-prodcons
.PHONY: bench-prodcons
bench-prodcons: $(USER_OUT)/opt/prodcons | deps-user
	bench/run-prodcons.sh $< $(BUILD)/bench/prodcons.json $(PRODCONS_ARGS)

$(USER_OUT)/opt/insn_count: bench/insn_count.c $(USER_OUT)/opt/libsloba.a
	$(CC) $(USER_CFLAGS) -O2 $< -o $@ $(USER_OUT)/opt/libsloba.a $(USER_LIBS)

$(USER_OUT)/opt/insn_count_malloc: bench/insn_count.c
	$(CC) $(USER_CFLAGS) -O2 -DUSE_MALLOC $< -o $@

bench-user: bench-user-insns
.PHONY: bench-user-insns
bench-user-insns: | deps-user
bench-user-insns: $(USER_OUT)/opt/insn_count $(USER_OUT)/opt/insn_count_malloc
	bench/count-insns.sh $^

# Real and synthetic workloads under glibc, jemalloc, mimalloc, tcmalloc and
# the drop-in malloc: build/bench/malloc.json and a table of ratios.
# BENCH_MALLOC_ARGS='--reps 5 --only churn,redis' narrows or widens it.
BENCH_MALLOC_ARGS ?= --reps 3
$(USER_OUT)/opt/malloc_workloads: bench/malloc_workloads.c | deps-user
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -g $< -o $@ -lpthread

.PHONY: bench-malloc
bench-malloc: $(USER_OUT)/opt/libsloba-malloc.so $(USER_OUT)/opt/malloc_workloads | deps-user
	python3 bench/run-malloc-bench.py $^ $(BUILD)/bench/malloc.json $(BENCH_MALLOC_ARGS)


# SPDX-License-Identifier: GPL-2.0-only
#
# sloba top-level build.  Every part keeps its rules in its own fragment
# (<part>/<part>.mk) and adds itself to the lists below; this file only ties
# them together, so `make test` is always the sum of the per-part suites.
#
#   TEST_TARGETS   suites run by `make test`; each records its counts with
#                  scripts/record-result (see that script)
#   BENCH_TARGETS  benchmarks run by `make bench`
#   APT_PACKAGES   Debian packages the part needs; `make deps` installs them

BUILD ?= $(CURDIR)/build
export BUILD

TEST_TARGETS :=
BENCH_TARGETS :=
APT_PACKAGES := build-essential pkg-config

include $(sort $(wildcard */*.mk))

.PHONY: all test bench deps help
all:

# Run every suite even if one fails, then print the per-suite table and the
# one-line total; fail if any suite failed.  A target that recorded no new
# result (it stopped before counting) is recorded as one failure.
test: deps
	@rm -rf $(BUILD)/results
	@status=0; for t in $(TEST_TARGETS); do \
		n=$$(ls $(BUILD)/results 2>/dev/null | wc -l); \
		$(MAKE) --no-print-directory $$t || status=1; \
		[ "$$(ls $(BUILD)/results 2>/dev/null | wc -l)" -gt "$$n" ] || \
			scripts/record-result "$$t-did-not-report" 0 1; \
	done; \
	scripts/summarize $(BUILD)/results || status=1; \
	exit $$status

# Packages first (a fresh machine has none), then each benchmark in turn.
bench: deps
	@for t in $(BENCH_TARGETS); do \
		$(MAKE) --no-print-directory $$t || exit 1; \
	done

deps:
	@scripts/install-deps $(sort $(APT_PACKAGES))

help:
	@echo "make test         run every test suite: $(TEST_TARGETS)"
	@echo "make bench        run every benchmark: $(BENCH_TARGETS)"
	@echo "make deps         apt-get install what the build and tests need (run by test)"

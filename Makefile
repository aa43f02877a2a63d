# SPDX-License-Identifier: GPL-2.0-only
#
# sloba top-level build.  Each part has its own makefile fragment; this file
# only ties them together.  `make test` is the sum of the per-part test
# targets, so CI and a new user run the same thing.

BUILD ?= $(CURDIR)/build
export BUILD

.PHONY: all test help
all:

TEST_TARGETS :=

test: $(TEST_TARGETS)

help:
	@echo "make lib          build libsloba (static + shared) into build/"
	@echo "make test         run every test suite ($(TEST_TARGETS))"
	@echo "make bench        userspace micro-benchmark against glibc/jemalloc/mimalloc/tcmalloc"
	@echo "make install PREFIX=/usr/local   install libsloba, its header and pkg-config file"

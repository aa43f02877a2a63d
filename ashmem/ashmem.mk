# SPDX-License-Identifier: GPL-2.0-only
#
# ashmem: the module (ashmem/module), its uapi header (ashmem/include),
# libashmem (ashmem/lib), the tests (ashmem/tests) and the benchmark
# (ashmem/bench).  Included by the top Makefile; every path is relative to
# the top of the tree.
#
#   make ashmem            libashmem (static, shared, .pc) and the test programs
#   make ashmem-module     ashmem.ko for Debian's newest 6.1 and 6.12 kernels
#   make test-ashmem       everything, then the suites (see ashmem/README.md)
#   make test-ashmem-dkms  the ashmem-dkms package installed in the Debian VM
#                          of vm/ on 6.1, then a 6.12 from bookworm-backports
#   make bench-ashmem      benchmark -> $(BUILD)/bench/ashmem.json
#   make install-ashmem    install header, library, pkg-config file
#                          (PREFIX=/usr/local, DESTDIR=)
#   make dkms-ashmem       copy the module source to /usr/src for dkms
#   make deb-ashmem        the ashmem-dkms Debian package -> $(BUILD)/ashmem/deb
#   make ashmem-deps       install the Debian packages all of these need
# Each target that needs packages installs them first (ashmem-deps), and
# builds through a second make, so what the packages bring (-m32) counts.

TEST_TARGETS += test-ashmem
BENCH_TARGETS += bench-ashmem
ASHMEM_APT := gcc clang make qemu-system-x86 busybox-static cpio kmod \
	gcc-multilib libc6-dev-i386 xz-utils bc flex bison libelf-dev libssl-dev \
	python3 dkms debhelper dh-dkms lintian git pkg-config
APT_PACKAGES += $(ASHMEM_APT)

# one version for the module, dkms.conf, the package and the library
ASHMEM_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' ashmem/module/dkms.conf)
ASHMEM_OUT := $(BUILD)/ashmem
ASHMEM_CC ?= gcc
ASHMEM_CFLAGS := -Wall -Wextra -Werror -O2 -g -Iashmem/include -Iashmem/lib
PREFIX ?= /usr/local

# -m32 needs Debian's multilib packages; without them the 32-bit group is
# reported as failed by the test script, never skipped silently.
ASHMEM_HAVE_M32 := $(shell printf 'int main(void){return 0;}' | \
	$(ASHMEM_CC) -m32 -static -x c - -o /dev/null 2>/dev/null && echo y)

ASHMEM_LIB_A := $(ASHMEM_OUT)/lib/libashmem.a
ASHMEM_LIB_SO := $(ASHMEM_OUT)/lib/libashmem.so.1
ASHMEM_PC := $(ASHMEM_OUT)/lib/libashmem.pc
ASHMEM_T := $(ASHMEM_OUT)/t
ASHMEM_TESTS := t_ioctl t_pin t_purge t_regress t_pressure t_stress t_fuzz t_lib \
	t_backing t_rmmod t_memcg
# the same programs built -m32, for the driver's compat ioctl path
ASHMEM_TESTS32 := t_ioctl32 t_pin32 t_purge32 t_regress32
ASHMEM_PROGS := $(addprefix $(ASHMEM_T)/,$(ASHMEM_TESTS) bench_ashmem) \
	$(if $(ASHMEM_HAVE_M32),$(addprefix $(ASHMEM_T)/,$(ASHMEM_TESTS32)))
ASHMEM_HDRS := ashmem/include/linux/ashmem.h ashmem/tests/tap.h ashmem/lib/libashmem.h


.PHONY: ashmem ashmem-module test-ashmem test-ashmem-dkms bench-ashmem install-ashmem \
	dkms-ashmem deb-ashmem ashmem-deps

ashmem-deps:
	@scripts/install-deps $(ASHMEM_APT)

ashmem: $(ASHMEM_LIB_A) $(ASHMEM_LIB_SO) $(ASHMEM_PC) $(ASHMEM_PROGS)

$(ASHMEM_OUT)/lib/%.o: ashmem/lib/%.c $(ASHMEM_HDRS)
	@mkdir -p $(@D)
	$(ASHMEM_CC) $(ASHMEM_CFLAGS) -fPIC -c $< -o $@

$(ASHMEM_LIB_A): $(ASHMEM_OUT)/lib/libashmem.o
	rm -f $@ && ar rcs $@ $^

$(ASHMEM_LIB_SO): $(ASHMEM_OUT)/lib/libashmem.o
	$(ASHMEM_CC) -shared -Wl,-soname,libashmem.so.1 -o $@ $^ -lpthread
	ln -sf libashmem.so.1 $(ASHMEM_OUT)/lib/libashmem.so

$(ASHMEM_PC): ashmem/lib/libashmem.pc.in
	@mkdir -p $(@D)
	sed 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(ASHMEM_VERSION)|' $< > $@

# Test programs are static so they run in the busybox guest as they are.
$(ASHMEM_T)/%: ashmem/tests/%.c $(ASHMEM_HDRS) $(ASHMEM_LIB_A)
	@mkdir -p $(@D)
	$(ASHMEM_CC) $(ASHMEM_CFLAGS) -static -pthread $< $(ASHMEM_LIB_A) -o $@

$(ASHMEM_T)/%32: ashmem/tests/%.c $(ASHMEM_HDRS)
	@mkdir -p $(@D)
	$(ASHMEM_CC) $(ASHMEM_CFLAGS) -m32 -static -pthread $< -o $@

$(ASHMEM_T)/bench_ashmem: ashmem/bench/bench_ashmem.c $(ASHMEM_HDRS)
	@mkdir -p $(@D)
	$(ASHMEM_CC) $(ASHMEM_CFLAGS) -static $< -o $@

# Builds for both Debian kernels; prints where each ashmem.ko is.
ashmem-module: ashmem-deps
	@for s in 6.1 6.12; do ashmem/scripts/build-module.sh $$s || exit 1; done

test-ashmem: ashmem-deps
	@$(MAKE) --no-print-directory ashmem
	@ashmem/scripts/test.sh

# Not in TEST_TARGETS: from a cold cache it builds the VM image and installs
# a kernel under TCG, far beyond make test's budget (ashmem/README.md).
# deps: vm/'s packages (mmdebstrap, qemu-utils, ...) as well as ashmem's.
test-ashmem-dkms: deps
	@$(MAKE) --no-print-directory ashmem
	@ashmem/scripts/test-dkms.sh

bench-ashmem: ashmem-deps
	@$(MAKE) --no-print-directory ashmem
	@ashmem/scripts/bench.sh

# the ashmem-dkms package: module source, dkms.conf, udev rule, modules-load.d
deb-ashmem: ashmem-deps
	@ashmem/scripts/build-deb.sh $(ASHMEM_OUT)/deb

install-ashmem: $(ASHMEM_LIB_A) $(ASHMEM_LIB_SO) $(ASHMEM_PC)
	install -d $(DESTDIR)$(PREFIX)/include/linux $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 ashmem/include/linux/ashmem.h $(DESTDIR)$(PREFIX)/include/linux/
	install -m 644 ashmem/lib/libashmem.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(ASHMEM_LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(ASHMEM_LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libashmem.so.1 $(DESTDIR)$(PREFIX)/lib/libashmem.so
	install -m 644 $(ASHMEM_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/

# dkms tree: /usr/src/ashmem-<version> with the sources, include/ and dkms.conf
dkms-ashmem:
	ashmem/scripts/dkms-tree.sh $(DESTDIR)/usr/src/ashmem-$(ASHMEM_VERSION)

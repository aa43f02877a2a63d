// SPDX-License-Identifier: Apache-2.0
/*
 * libashmem.c - libcutils' ashmem API over /dev/ashmem or memfd.
 *
 * The backend for new regions is chosen once: LIBASHMEM_BACKEND=ashmem or
 * =memfd forces one (read with secure_getenv(), so a setuid program
 * ignores it; ashmem then fails with the error of opening the device when
 * it is absent); otherwise /dev/ashmem if it opens, else memfd.  Calls on
 * an existing fd look at what the fd is, not at the backend:
 *
 *   - an ashmem region is a character device whose number is ashmem's.
 *     The number is learnt once, from /dev/ashmem or, where that node is
 *     missing (a sandbox with its own /dev that received the fd), from
 *     sysfs (/sys/dev/char/MAJOR:MINOR names the device), and cached.
 *   - a memfd region is an unlinked regular file on tmpfs or hugetlbfs that
 *     answers F_GET_SEALS.  Neither test needs /proc.
 *
 * memfd regions are created with MFD_ALLOW_SEALING and MFD_NOEXEC_SEAL
 * (never executable, and accepted under vm.memfd_noexec=2; kernels before
 * 6.3 do not know the flag and get a plain memfd), and sealed against
 * growing and shrinking, so like an ashmem region they have a fixed size.
 * Every call that a signal can interrupt is retried on EINTR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/ashmem.h>
#include "libashmem.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#define TMPFS_MAGIC_	0x01021994
#define HUGETLBFS_MAGIC_ 0x958458f6

#define ASHMEM_DEVICE "/dev/ashmem"

/* Retry a call that failed with EINTR; evaluates to its last result. */
#define RETRY(call) ({					\
	__typeof__(call) r_;				\
	do						\
		r_ = (call);				\
	while (r_ == -1 && errno == EINTR);		\
	r_; })

enum backend { BACKEND_ASHMEM, BACKEND_MEMFD };

static pthread_once_t backend_once = PTHREAD_ONCE_INIT;
static enum backend backend;

/* ashmem's device number, once known (0: not yet). */
static pthread_mutex_t rdev_lock = PTHREAD_MUTEX_INITIALIZER;
static dev_t ashmem_rdev;

static void remember_rdev(dev_t rdev)
{
	pthread_mutex_lock(&rdev_lock);
	ashmem_rdev = rdev;
	pthread_mutex_unlock(&rdev_lock);
}

static int open_device(void)
{
	struct stat st;
	int fd = RETRY(open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC));

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode))
		remember_rdev(st.st_rdev);
	return fd;
}

static void choose_backend(void)
{
	const char *env = secure_getenv("LIBASHMEM_BACKEND");
	int fd;

	if (env && !strcmp(env, "memfd")) {
		backend = BACKEND_MEMFD;
		return;
	}
	if (env && !strcmp(env, "ashmem")) {
		backend = BACKEND_ASHMEM;
		return;
	}
	fd = open_device();
	if (fd >= 0) {
		backend = BACKEND_ASHMEM;
		close(fd);
	} else {
		backend = BACKEND_MEMFD;
	}
}

const char *ashmem_backend(void)
{
	pthread_once(&backend_once, choose_backend);
	return backend == BACKEND_ASHMEM ? "ashmem" : "memfd";
}

/* Is the character device @rdev ashmem, by sysfs's name for it? */
static int sysfs_says_ashmem(dev_t rdev)
{
	char path[64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(rdev),
		 minor(rdev));
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	return !strcmp(base ? base + 1 : target, "ashmem");
}

/* Is @fd the ashmem device? (compares the device number, as libcutils) */
static int is_ashmem_dev(int fd)
{
	struct stat st, dev;
	dev_t known;

	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return 0;
	pthread_mutex_lock(&rdev_lock);
	known = ashmem_rdev;
	pthread_mutex_unlock(&rdev_lock);
	if (!known) {
		if (stat(ASHMEM_DEVICE, &dev) == 0 && S_ISCHR(dev.st_mode))
			known = dev.st_rdev;
		else if (sysfs_says_ashmem(st.st_rdev))
			known = st.st_rdev;
		if (known)
			remember_rdev(known);
	}
	return known && st.st_rdev == known;
}

/* Is @fd a memfd that allows sealing?  (no /proc needed) */
static int is_memfd(int fd)
{
	struct statfs sfs;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0)
		return 0;
	if (fstatfs(fd, &sfs) < 0 || (sfs.f_type != TMPFS_MAGIC_ &&
				      sfs.f_type != (__typeof__(sfs.f_type))HUGETLBFS_MAGIC_))
		return 0;
	return RETRY(fcntl(fd, F_GET_SEALS)) >= 0;
}

int ashmem_valid(int fd)
{
	if (fd < 0)
		return 0;
	return is_ashmem_dev(fd) || is_memfd(fd);
}

static int create_ashmem(const char *name, size_t size)
{
	char buf[ASHMEM_NAME_LEN];
	int fd, saved;

	fd = open_device();
	if (fd < 0)
		return -1;
	if (name) {
		snprintf(buf, sizeof(buf), "%s", name);
		if (RETRY(ioctl(fd, ASHMEM_SET_NAME, buf)) < 0)
			goto fail;
	}
	if (RETRY(ioctl(fd, ASHMEM_SET_SIZE, size)) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int create_memfd(const char *name, size_t size)
{
	char buf[250];	/* memfd names are at most 249 bytes */
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	int fd, saved;

	if (size > (size_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", name ? name : "ashmem");
	fd = (int)syscall(SYS_memfd_create, buf, flags | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL)	/* before Linux 6.3 */
		fd = (int)syscall(SYS_memfd_create, buf, flags);
	if (fd < 0)
		return -1;
	if (RETRY(ftruncate(fd, (off_t)size)) < 0 ||
	    RETRY(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK)) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int ashmem_create_region(const char *name, size_t size)
{
	pthread_once(&backend_once, choose_backend);
	if (backend == BACKEND_ASHMEM)
		return create_ashmem(name, size);
	return create_memfd(name, size);
}

int ashmem_set_prot_region(int fd, int prot)
{
	int seals;

	if (is_ashmem_dev(fd))
		return RETRY(ioctl(fd, ASHMEM_SET_PROT_MASK,
				   (unsigned long)prot));
	if (!is_memfd(fd)) {
		errno = EBADF;
		return -1;
	}
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) {
		errno = EINVAL;
		return -1;
	}
	seals = RETRY(fcntl(fd, F_GET_SEALS));
	if (seals < 0)
		return -1;
	if (prot & PROT_WRITE) {
		/* bits can only be removed, as with the driver */
		if (seals & F_SEAL_FUTURE_WRITE) {
			errno = EINVAL;
			return -1;
		}
		return 0;
	}
	if (seals & F_SEAL_FUTURE_WRITE)
		return 0;
	/* read-only for good: no seal can be added or removed after this */
	return RETRY(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL));
}

/* The size of a region, whichever kind; -1 with errno on failure. */
static int64_t region_size(int fd)
{
	struct stat st;
	long size;

	if (is_ashmem_dev(fd)) {
		/* EOVERFLOW above INT_MAX: the ioctl returns an int */
		size = RETRY(ioctl(fd, ASHMEM_GET_SIZE, NULL));
		return size;
	}
	if (!is_memfd(fd)) {
		errno = EBADF;
		return -1;
	}
	if (fstat(fd, &st) < 0)
		return -1;
	return st.st_size;
}

static int pin_common(int fd, size_t offset, size_t len, int cmd)
{
	struct ashmem_pin pin;
	int64_t page = sysconf(_SC_PAGESIZE), size, end;

	if (offset > UINT32_MAX || len > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (is_ashmem_dev(fd)) {
		pin.offset = (uint32_t)offset;
		pin.len = (uint32_t)len;
		return RETRY(ioctl(fd, (unsigned long)cmd, &pin));
	}
	/* memfd: same argument checks as the driver, then nothing to do */
	size = region_size(fd);
	if (size < 0)
		return -1;
	size = (size + page - 1) / page * page;
	end = len ? (int64_t)(offset + len) : size;
	if (offset % (size_t)page || len % (size_t)page ||
	    (int64_t)offset >= end || end > size) {
		errno = EINVAL;
		return -1;
	}
	return cmd == (int)ASHMEM_PIN ? ASHMEM_NOT_PURGED : 0;
}

int ashmem_pin_region(int fd, size_t offset, size_t len)
{
	return pin_common(fd, offset, len, (int)ASHMEM_PIN);
}

int ashmem_unpin_region(int fd, size_t offset, size_t len)
{
	return pin_common(fd, offset, len, (int)ASHMEM_UNPIN);
}

int ashmem_get_size_region(int fd)
{
	int64_t size = region_size(fd);

	if (size > INT_MAX) {
		errno = EOVERFLOW;	/* the API returns an int */
		return -1;
	}
	return (int)size;
}

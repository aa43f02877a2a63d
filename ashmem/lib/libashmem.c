// SPDX-License-Identifier: Apache-2.0
/*
 * libashmem.c - libcutils' ashmem API over /dev/ashmem or memfd.
 *
 * The backend for new regions is chosen once: LIBASHMEM_BACKEND=ashmem or
 * =memfd forces one (ashmem then fails with the error of opening the
 * device when it is absent); otherwise /dev/ashmem if it opens, else memfd.
 * Calls on an existing fd look at what the fd is, not at the backend.
 *
 * memfd regions are created with MFD_ALLOW_SEALING and sealed against
 * growing and shrinking, so like an ashmem region they have a fixed size.
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
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/ashmem.h>
#include "libashmem.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

#define ASHMEM_DEVICE "/dev/ashmem"

enum backend { BACKEND_ASHMEM, BACKEND_MEMFD };

static pthread_once_t backend_once = PTHREAD_ONCE_INIT;
static enum backend backend;
static int backend_forced;

static void choose_backend(void)
{
	const char *env = getenv("LIBASHMEM_BACKEND");
	int fd;

	if (env && !strcmp(env, "memfd")) {
		backend = BACKEND_MEMFD;
		backend_forced = 1;
		return;
	}
	if (env && !strcmp(env, "ashmem")) {
		backend = BACKEND_ASHMEM;
		backend_forced = 1;
		return;
	}
	fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
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

/* Is @fd the ashmem device? (compares the device number, as libcutils) */
static int is_ashmem_dev(int fd)
{
	struct stat st, dev;

	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return 0;
	if (stat(ASHMEM_DEVICE, &dev) < 0 || !S_ISCHR(dev.st_mode))
		return 0;
	return st.st_rdev == dev.st_rdev;
}

/* Is @fd a memfd that allows sealing? */
static int is_memfd(int fd)
{
	char path[64], target[PATH_MAX];
	ssize_t n;

	if (fcntl(fd, F_GET_SEALS) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return !strncmp(target, "/memfd:", 7);
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

	fd = open(ASHMEM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (name) {
		snprintf(buf, sizeof(buf), "%s", name);
		if (ioctl(fd, ASHMEM_SET_NAME, buf) < 0)
			goto fail;
	}
	if (ioctl(fd, ASHMEM_SET_SIZE, size) < 0)
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
	int fd, saved;

	if (size > (size_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", name ? name : "ashmem");
	fd = (int)syscall(SYS_memfd_create, buf, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) < 0)
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
		return ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)prot);
	if (!is_memfd(fd)) {
		errno = EBADF;
		return -1;
	}
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) {
		errno = EINVAL;
		return -1;
	}
	seals = fcntl(fd, F_GET_SEALS);
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
	return fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE);
}

/* The region size of a memfd, as an int like libcutils returns it. */
static int memfd_size(int fd, off_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	*size = st.st_size;
	return 0;
}

static int pin_common(int fd, size_t offset, size_t len, int cmd)
{
	struct ashmem_pin pin;
	long page = sysconf(_SC_PAGESIZE);
	off_t size, end;

	if (offset > UINT32_MAX || len > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (is_ashmem_dev(fd)) {
		pin.offset = (uint32_t)offset;
		pin.len = (uint32_t)len;
		return ioctl(fd, (unsigned long)cmd, &pin);
	}
	if (!is_memfd(fd)) {
		errno = EBADF;
		return -1;
	}
	/* same argument checks as the driver, then nothing to do */
	if (memfd_size(fd, &size) < 0)
		return -1;
	size = (size + page - 1) / page * page;
	end = len ? (off_t)(offset + len) : size;
	if (offset % (size_t)page || len % (size_t)page ||
	    (off_t)offset >= end || end > size) {
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
	off_t size;

	if (is_ashmem_dev(fd))
		return ioctl(fd, ASHMEM_GET_SIZE, NULL);
	if (!is_memfd(fd)) {
		errno = EBADF;
		return -1;
	}
	if (memfd_size(fd, &size) < 0)
		return -1;
	return size > INT_MAX ? INT_MAX : (int)size;
}

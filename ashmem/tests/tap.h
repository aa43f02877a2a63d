/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap.h - a tiny TAP producer shared by the ashmem test programs.
 *
 * ok(cond, fmt, ...) prints "ok N - ..." or "not ok N - ..." (with errno
 * when it is set), done() prints the plan and returns the exit status:
 * 0 only if every check passed.  The runner counts the ok / not ok lines.
 * Helpers for what nearly every test needs (a fresh region, the page size,
 * running a function in a child and reporting how it ended) live here too.
 */
#ifndef ASHMEM_TAP_H
#define ASHMEM_TAP_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/ashmem.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!cond) {
		printf(" (errno %d: %s)", saved, strerror(saved));
		tap_failed++;
	}
	printf("\n");
	fflush(stdout);
	errno = saved;
	return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((unused))
static int done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

__attribute__((unused))
static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(2);
}

__attribute__((unused))
static long page_size(void)
{
	static long page;

	if (!page)
		page = sysconf(_SC_PAGESIZE);
	return page;
}

/* ioctl that returns -errno on failure, so checks read "== -EINVAL". */
__attribute__((unused))
static long xioctl(int fd, unsigned long cmd, unsigned long arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

/* A fresh region; size 0 leaves the size unset. */
__attribute__((unused))
static int region(const char *name, size_t size)
{
	int fd = open("/dev/ashmem", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bail("open /dev/ashmem");
	if (name && ioctl(fd, ASHMEM_SET_NAME, name) < 0)
		bail("ASHMEM_SET_NAME");
	if (size && ioctl(fd, ASHMEM_SET_SIZE, size) < 0)
		bail("ASHMEM_SET_SIZE");
	return fd;
}

__attribute__((unused))
static int pin_cmd(int fd, unsigned long cmd, unsigned int off,
		   unsigned int len)
{
	struct ashmem_pin p = { .offset = off, .len = len };
	int r = ioctl(fd, cmd, &p);

	return r < 0 ? -errno : r;
}

/*
 * Run fn(arg) in a child; returns its exit status (0..255), or 1000 + the
 * signal that killed it (so SIGBUS is 1007 on x86).
 */
__attribute__((unused))
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) < 0)
		bail("waitpid");
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * The /proc/self/map_files path of the mapping that contains @addr (the
 * backing file, for an ashmem mapping).  Returns 1 if found.
 */
__attribute__((unused))
static int map_files_path(const void *addr, char *path, size_t len)
{
	unsigned long a = (unsigned long)addr, start, end;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start <= a && a < end) {
			snprintf(path, len, "/proc/self/map_files/%lx-%lx",
				 start, end);
			found = 1;
		}
	if (f)
		fclose(f);
	return found;
}

/*
 * Write @val to a sysfs/procfs file, keeping the old contents in @old
 * (if not NULL) for restore_knob().  Returns 0 or -1.
 */
__attribute__((unused))
static int set_knob(const char *path, const char *val, char *old, size_t len)
{
	int fd = open(path, O_RDWR);
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	if (old) {
		n = read(fd, old, len - 1);
		old[n > 0 ? n : 0] = '\0';
	}
	n = pwrite(fd, val, strlen(val), 0);
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

#endif /* ASHMEM_TAP_H */

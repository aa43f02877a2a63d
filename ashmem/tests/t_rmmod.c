// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_rmmod.c KO - unloading ashmem.ko, and what may outlive it.
 *
 * Run as root, last in a guest (it unloads the module and loads KO again).
 * The module must refuse to unload while anything needs its code: an open
 * /dev/ashmem, a mapping (even with the fd closed), a file opened through
 * /proc/self/map_files.  An O_PATH descriptor of the backing file does not
 * hold the module, and must not need it: after rmmod it can still be
 * reopened, read, stat()ed and truncated by path (which takes the inode's
 * lock) without touching freed module memory -- on the KASAN kernel that
 * would be a report, on others an oops.  Then the module loads again and
 * works.
 */
#include "tap.h"
#include <sys/stat.h>
#include <sys/syscall.h>

static const char *ko;
static long pg;

static int unload(void)
{
	return syscall(SYS_delete_module, "ashmem", O_NONBLOCK) == 0 ? 0 : -errno;
}

static int load(void)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) == 0 ? 0 : -errno;
	close(fd);
	return ret;
}

/* A mapped region holding @text; returns the fd, the mapping in @p. */
static int mapped(const char *text, char **p)
{
	int fd = region("rmmod", 2 * pg);

	*p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*p == MAP_FAILED)
		bail("mmap");
	strcpy(*p, text);
	return fd;
}

static int works(void)
{
	char *p;
	int fd = mapped("again", &p), good;

	good = pin_cmd(fd, ASHMEM_UNPIN, 0, 0) == 0 &&
	       pin_cmd(fd, ASHMEM_PIN, 0, 0) >= 0 && !strcmp(p, "again");
	munmap(p, 2 * pg);
	close(fd);
	return good;
}

int main(int argc, char **argv)
{
	char path[128], proc[64], buf[16];
	struct stat st;
	int fd, mf, opath, again;
	char *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: t_rmmod KO\n");
		return 2;
	}
	ko = argv[1];
	pg = page_size();

	fd = mapped("held", &p);
	ok(unload() == -EAGAIN, "rmmod with /dev/ashmem open and mapped: EAGAIN");
	close(fd);
	ok(unload() == -EAGAIN, "rmmod with only a mapping left: EAGAIN");
	if (!map_files_path(p, path, sizeof(path)))
		bail("map_files");
	mf = open(path, O_RDONLY);
	opath = open(path, O_PATH);
	ok(mf >= 0 && opath >= 0, "open the backing file, and an O_PATH of it");
	munmap(p, 2 * pg);
	ok(unload() == -EAGAIN, "rmmod with the backing file open: EAGAIN");
	close(mf);

	ok(unload() == 0, "rmmod with only an O_PATH descriptor left: done");
	ok(access("/dev/ashmem", F_OK) < 0, "/dev/ashmem is gone");
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", opath);
	again = open(proc, O_RDONLY);
	ok(again >= 0 && pread(again, buf, 5, 0) == 5 && !memcmp(buf, "held", 5),
	   "after rmmod the O_PATH descriptor reopens and reads the data");
	ok(fstat(opath, &st) == 0 && st.st_size == 2 * pg, "and stat()s it");
	ok(truncate(proc, pg) < 0 && errno == EPERM,
	   "truncate by path still fails (EPERM) without the module");
	if (again >= 0)
		close(again);
	close(opath);

	ok(load() == 0, "load the module again");
	ok(works(), "it works");
	ok(unload() == 0, "rmmod with nothing open: done");
	ok(load() == 0 && works(), "and once more, load and use it");
	return done();
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_backing.c - what the backing file allows when reached around
 * /dev/ashmem, through /proc/self/map_files (root, or CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE, may open it read-write).
 *
 * It may be read, sought (SEEK_DATA/HOLE) and stat()ed.  Everything that
 * would change it must fail and leave the region as it was: write, pwrite,
 * writev, splice and sendfile into it, copy_file_range, fallocate (also
 * PUNCH_HOLE), ftruncate, truncate by path, O_TRUNC, chmod, utimes, and
 * extended attributes.  A region whose mask forbids writing is the case
 * that matters; its size is fixed too.  mmap of it is refused (t_regress).
 *
 * Reclaim punches these inodes with their i_rwsem held, so nothing may
 * hold it and allocate.  On a lockdep kernel (/proc/lockdep) the module
 * has told lockdep so at load: fs_reclaim must have the backing inodes'
 * class among the locks taken after it, whether or not reclaim ran yet.
 */
#include "tap.h"
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <linux/falloc.h>

#define PAGES 4

static long pg;

static int unchanged(int fd, const char *p)
{
	/* first: reading p[pg] would fault a page into the file */
	return lseek(fd, pg, SEEK_DATA) < 0 && errno == ENXIO &&
	       xioctl(fd, ASHMEM_GET_SIZE, 0) == PAGES * pg &&
	       !strcmp(p, "read-only data") && p[pg] == 0;
}

/* Does lockdep know "fs_reclaim, then a backing i_rwsem"?  -1: no lockdep */
static int lockdep_knows_reclaim_order(void)
{
	char line[512];
	int in_reclaim = 0, found = 0;
	FILE *f = fopen("/proc/lockdep", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != ' ')
			in_reclaim = strstr(line, ": fs_reclaim\n") != NULL;
		else if (in_reclaim && strstr(line, "-> [") &&
			 strstr(line, "] ashmem_backing_inode_key"))
			found = 1;
	}
	fclose(f);
	return found;
}

int main(void)
{
	char path[128], buf[64], *p;
	int fd, mf, ro, pipefd[2], other;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct stat st;
	loff_t off = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = page_size();
	fd = region("backing", PAGES * pg);
	p = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap");
	strcpy(p, "read-only data");
	munmap(p, PAGES * pg);
	if (xioctl(fd, ASHMEM_SET_PROT_MASK, PROT_READ))
		bail("SET_PROT_MASK");
	p = mmap(NULL, PAGES * pg, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || !map_files_path(p, path, sizeof(path)))
		bail("mmap R");

	mf = open(path, O_RDWR);
	ok(mf >= 0, "map_files: the backing file opens read-write (as root)");
	if (mf < 0)
		return done();
	ok(pread(mf, buf, 15, 0) == 15 && !strcmp(buf, "read-only data"),
	   "it can be read");
	ok(lseek(mf, 0, SEEK_HOLE) == pg, "SEEK_HOLE works");
	ok(fstat(mf, &st) == 0 && st.st_size == PAGES * pg, "fstat works");

	ok(write(mf, "x", 1) < 0 && errno == EPERM, "write: EPERM");
	ok(pwrite(mf, "x", 1, pg) < 0 && errno == EPERM, "pwrite: EPERM");
	ok(pwritev(mf, &iov, 1, pg) < 0 && errno == EPERM, "pwritev: EPERM");
	ok(pipe(pipefd) == 0 && write(pipefd[1], "spliced", 7) == 7 &&
	   splice(pipefd[0], NULL, mf, &off, 7, 0) < 0 && errno == EPERM,
	   "splice into it: EPERM");
	other = memfd_create("src", 0);
	ok(other >= 0 && write(other, "sent", 4) == 4 &&
	   sendfile(mf, other, &off, 4) < 0, "sendfile into it fails (%s)",
	   strerror(errno));
	off = 0;
	ok(copy_file_range(other, &off, mf, NULL, 4, 0) < 0,
	   "copy_file_range into it fails (%s)", strerror(errno));
	ok(fallocate(mf, 0, 0, 8 * pg) < 0 && errno == EPERM,
	   "fallocate growing it: EPERM");
	ok(fallocate(mf, 0, pg, pg) < 0 && errno == EPERM,
	   "fallocate inside it: EPERM");
	ok(fallocate(mf, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, pg) < 0 &&
	   errno == EPERM, "fallocate(PUNCH_HOLE): EPERM");
	ok(ftruncate(mf, pg) < 0 && errno == EPERM, "ftruncate: EPERM");
	ok(truncate(path, 16 * pg) < 0 && errno == EPERM,
	   "truncate by path: EPERM");
	ok(open(path, O_RDWR | O_TRUNC) < 0 && errno == EPERM,
	   "open with O_TRUNC: EPERM");
	ok(chmod(path, 0600) < 0 && errno == EPERM, "chmod: EPERM");
	ok(utimes(path, NULL) < 0 && errno == EPERM, "utimes: EPERM");
	ok(setxattr(path, "trusted.ashmem", "v", 1, 0) < 0 &&
	   errno == EOPNOTSUPP, "setxattr(trusted.*): EOPNOTSUPP");
	ok(setxattr(path, "security.ashmem", "v", 1, 0) < 0,
	   "setxattr(security.*) fails (%s)", strerror(errno));
	ok(unchanged(fd, p), "the region is unchanged: data, size, no new pages");
	ok(fstat(mf, &st) == 0 && st.st_size == PAGES * pg &&
	   (st.st_mode & 07777) == 0777, "and so is the inode (size, mode)");

	switch (lockdep_knows_reclaim_order()) {
	case -1:
		diag("no /proc/lockdep: the lockdep check runs on the debug kernel");
		break;
	default:
		ok(lockdep_knows_reclaim_order() == 1,
		   "lockdep has fs_reclaim -> the backing inodes' i_rwsem");
	}

	ro = open(path, O_RDONLY);
	ok(ro >= 0 && pread(ro, buf, 15, 0) == 15,
	   "a read-only open reads too");
	if (ro >= 0)
		close(ro);
	close(pipefd[0]);
	close(pipefd[1]);
	close(other);
	close(mf);
	munmap(p, PAGES * pg);
	close(fd);
	return done();
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_memcg.c - reclaim inside a memory cgroup purges that cgroup's ranges.
 *
 * Run as root.  Mounts cgroup v2 at /sys/fs/cgroup if it is not there,
 * makes a cgroup with memory.max = LIMIT and no swap, and runs a child in
 * it that fills REGIONS ashmem regions, unpins them all, then allocates
 * ANON of anonymous memory: more than the limit leaves.  Without swap,
 * only purging the child's unpinned ranges can make room, so the
 * memory-cgroup-aware shrinker must do it (a shrinker that is not would
 * never be asked, and the child would be OOM-killed).  Checked: the child
 * is not killed and no OOM kill is counted, some of its regions were
 * purged (PIN says WAS_PURGED and they are holes, the others kept their
 * data), and a region unpinned outside the cgroup was not touched.
 */
#include "tap.h"
#include <sys/mount.h>
#include <sys/stat.h>

#define CG		"/sys/fs/cgroup"
#define TEST_CG		CG "/ashmem-memcg"
#define LIMIT		(64UL << 20)
#define REGIONS		16
#define REGION		(2UL << 20)
#define ANON		(48UL << 20)
#define STEP		(1UL << 20)

static int put(const char *path, const char *val)
{
	return set_knob(path, val, NULL, 0);
}

static long knob_value(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");
	size_t n = strlen(key);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

static int all(const char *p, size_t n, char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* In the cgroup: fill, unpin, allocate; report purged/intact regions. */
static int child(int report)
{
	static char *maps[REGIONS];
	int fds[REGIONS], i, purged = 0, intact = 0, bad = 0, msg[3];
	size_t got;
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (put(TEST_CG "/cgroup.procs", pid))
		return 10;
	for (i = 0; i < REGIONS; i++) {
		fds[i] = region("memcg", REGION);
		maps[i] = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fds[i], 0);
		if (maps[i] == MAP_FAILED)
			return 11;
		memset(maps[i], 'a' + i, REGION);
	}
	for (i = 0; i < REGIONS; i++)
		if (pin_cmd(fds[i], ASHMEM_UNPIN, 0, 0))
			return 12;
	for (got = 0; got < ANON; got += STEP) {
		char *c = mmap(NULL, STEP, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (c == MAP_FAILED)
			return 13;
		memset(c, 1, STEP);
	}
	/* a purged region is a hole (reading it would fault pages back in) */
	for (i = 0; i < REGIONS; i++) {
		int r = pin_cmd(fds[i], ASHMEM_PIN, 0, 0);

		if (r == ASHMEM_WAS_PURGED && lseek(fds[i], 0, SEEK_DATA) < 0 &&
		    errno == ENXIO)
			purged++;
		else if (r == ASHMEM_NOT_PURGED && all(maps[i], REGION, 'a' + i))
			intact++;
		else
			bad++;
	}
	msg[0] = purged;
	msg[1] = intact;
	msg[2] = bad;
	return write(report, msg, sizeof(msg)) == sizeof(msg) ? 0 : 14;
}

int main(void)
{
	char max[32], *outside;
	int p[2], msg[3] = { -1, -1, -1 }, status, ofd;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(CG "/cgroup.controllers", F_OK) &&
	    mount("none", CG, "cgroup2", 0, NULL))
		bail("mount cgroup2");
	ok(put(CG "/cgroup.subtree_control", "+memory") == 0,
	   "memory controller enabled");
	rmdir(TEST_CG);
	ok(mkdir(TEST_CG, 0755) == 0, "cgroup made");
	snprintf(max, sizeof(max), "%lu", LIMIT);
	ok(put(TEST_CG "/memory.max", max) == 0, "memory.max = %lu MiB",
	   LIMIT >> 20);
	put(TEST_CG "/memory.swap.max", "0");

	/* unpinned in the root cgroup: not this cgroup's to purge */
	ofd = region("outside", REGION);
	outside = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, 0);
	if (outside == MAP_FAILED)
		bail("mmap outside");
	memset(outside, 'o', REGION);
	pin_cmd(ofd, ASHMEM_UNPIN, 0, 0);

	if (pipe(p))
		bail("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (!pid) {
		close(p[0]);
		_exit(child(p[1]));
	}
	close(p[1]);
	if (read(p[0], msg, sizeof(msg)) != sizeof(msg))
		msg[0] = -1;
	waitpid(pid, &status, 0);
	diag("child: %d regions purged, %d intact, %d neither; memory.events oom_kill %ld",
	     msg[0], msg[1], msg[2], knob_value(TEST_CG "/memory.events", "oom_kill"));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the child allocated past its cgroup's free memory and exited normally (%s %d)",
	   WIFSIGNALED(status) ? "signal" : "status",
	   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	ok(knob_value(TEST_CG "/memory.events", "oom_kill") == 0,
	   "no OOM kill in the cgroup");
	ok(msg[0] > 0 && msg[2] == 0,
	   "reclaim in the cgroup purged its unpinned regions (%d of %d)",
	   msg[0], REGIONS);
	ok(pin_cmd(ofd, ASHMEM_PIN, 0, 0) == ASHMEM_NOT_PURGED &&
	   all(outside, REGION, 'o'),
	   "a region unpinned in another cgroup was left alone");
	munmap(outside, REGION);
	close(ofd);
	ok(rmdir(TEST_CG) == 0, "cgroup removed");
	return done();
}

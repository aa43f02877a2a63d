// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_lib.c - libashmem's libcutils API, on whichever backend
 * LIBASHMEM_BACKEND selects (the suite runs it with "ashmem" and with
 * "memfd"; on the host only memfd exists).  The same assertions hold on
 * both, except where a backend is documented to differ.
 *
 * Beyond the API itself: a region received over SCM_RIGHTS by a fresh
 * process that has neither /proc nor /dev/ashmem (its own mount
 * namespace); regions above INT_MAX; many threads at once; memfd seals
 * (F_SEAL_SEAL with the write seal, MFD_NOEXEC_SEAL, vm.memfd_noexec=2,
 * which refuses executable memfds: before 6.6 every memfd made without
 * MFD_NOEXEC_SEAL);
 * PIN interrupted by signals (ashmem); LIBASHMEM_BACKEND ignored by a
 * setuid program.  The checks that change system settings or make a
 * setuid file need root, which make test-ashmem has; run unprivileged,
 * they say so and are not counted.
 *
 * t_lib --backend: print ashmem_backend() and AT_SECURE (for the setuid
 * check).  t_lib --receive FD: take a region from socket FD (SCM_RIGHTS)
 * and check it; the exit status says what failed.  t_lib --create: make
 * one region, exit 0 if that worked.
 */
#include "tap.h"
#include <pthread.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "libashmem.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define NOEXEC_SYSCTL "/proc/sys/vm/memfd_noexec"
#define GIB (1UL << 30)

static const char *self;
static const char *want;
static long pg;

static int child_reads(void *arg)
{
	return strcmp((char *)arg, "shared with child") ? 1 : 0;
}

/* --- a fresh process without /proc and /dev receives a region ---------- */

struct msg { size_t size; };

static int send_fd(int sock, int fd, size_t size)
{
	struct msg m = { size };
	struct iovec iov = { &m, sizeof(m) };
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == sizeof(m) ? 0 : -1;
}

static int receive(int sock)
{
	struct msg m;
	struct iovec iov = { &m, sizeof(m) };
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	int fd;
	char *p;

	if (recvmsg(sock, &mh, 0) != sizeof(m))
		return 20;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return 21;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (access("/proc/self", F_OK) == 0 || access("/dev/ashmem", F_OK) == 0)
		return 22;	/* the namespace did not hide them */
	if (ashmem_valid(fd) != 1)
		return 23;
	if (ashmem_get_size_region(fd) != (int)m.size)
		return 24;
	p = mmap(NULL, m.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || strcmp(p, "via SCM_RIGHTS"))
		return 25;
	if (ashmem_unpin_region(fd, 0, 0) || ashmem_pin_region(fd, 0, 0) < 0)
		return 26;
	if (ashmem_set_prot_region(fd, PROT_READ))
		return 27;
	strcpy(p, "answered");
	return 0;
}

/* In a new mount namespace (and user namespace, if not root), hide
 * /proc and /dev under empty tmpfs mounts. */
static int hide_proc_and_dev(void)
{
	int flags = CLONE_NEWNS | (geteuid() ? CLONE_NEWUSER : 0);

	if (unshare(flags))
		return -1;
	mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (mount("none", "/proc", "tmpfs", 0, NULL) ||
	    mount("none", "/dev", "tmpfs", 0, NULL))
		return -1;
	return 0;
}

static void test_received_without_proc(void)
{
	int sv[2], fd, status = -1;
	size_t size = 3 * pg;
	char arg[16], *p;
	pid_t pid;

	fd = ashmem_create_region("sent", size);
	p = fd < 0 ? MAP_FAILED :
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		bail("region or socketpair for SCM_RIGHTS");
	strcpy(p, "via SCM_RIGHTS");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (!pid) {
		close(sv[0]);
		if (hide_proc_and_dev())
			_exit(30);
		snprintf(arg, sizeof(arg), "%d", sv[1]);
		execl(self, self, "--receive", arg, (char *)NULL);
		_exit(31);
	}
	close(sv[1]);
	ok(send_fd(sv[0], fd, size) == 0, "region sent over SCM_RIGHTS");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a fresh process with neither /proc nor /dev/ashmem uses it (status %d)",
	   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ok(!strcmp(p, "answered"), "and its writes are seen here");
	ok(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	   MAP_FAILED, "the read-only mask it set holds here");
	close(sv[0]);
	munmap(p, size);
	close(fd);
}

/* --- sizes above INT_MAX ------------------------------------------------ */

static void test_big(void)
{
	size_t size = 3 * GIB, at = 5 * (GIB / 2);
	int fd = ashmem_create_region("big", size);
	char *p;

	ok(fd >= 0, "a 3 GiB region");
	if (fd < 0)
		return;
	/* no pages are touched but one; MAP_NORESERVE: no 3 GiB commit */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 fd, 0);
	ok(p != MAP_FAILED, "mapped");
	ok(ashmem_get_size_region(fd) == -1 && errno == EOVERFLOW,
	   "its size does not fit the int the API returns: EOVERFLOW");
	if (p != MAP_FAILED) {
		p[at] = 'b';
		ok(ashmem_unpin_region(fd, at, pg) == 0 &&
		   ashmem_pin_region(fd, at, pg) == ASHMEM_NOT_PURGED &&
		   p[at] == 'b', "pin and unpin at 2.5 GiB");
		ok(ashmem_unpin_region(fd, at, 0) == 0 &&
		   ashmem_pin_region(fd, 0, 0) == ASHMEM_NOT_PURGED,
		   "unpin from 2.5 GiB to the end, pin it all");
		munmap(p, size);
	}
	close(fd);
}

/* --- threads ------------------------------------------------------------ */

#define THREADS 6
#define ROUNDS 100

static int shared_fd;

static void *hammer(void *arg)
{
	long id = (long)arg, bad = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		int fd = ashmem_create_region("thread", 2 * pg);
		char *p;

		if (fd < 0 || ashmem_valid(fd) != 1 ||
		    ashmem_get_size_region(fd) != 2 * pg) {
			bad++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			bad++;
		} else {
			p[pg] = (char)id;
			if (ashmem_unpin_region(fd, pg, pg) ||
			    ashmem_pin_region(fd, pg, pg) < 0 ||
			    ashmem_set_prot_region(fd, PROT_READ) || p[pg] != (char)id)
				bad++;
			munmap(p, 2 * pg);
		}
		if (ashmem_valid(shared_fd) != 1 ||
		    ashmem_get_size_region(shared_fd) != 4 * pg ||
		    ashmem_pin_region(shared_fd, 0, 0) < 0)
			bad++;
		close(fd);
	}
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t t[THREADS];
	long i, bad = 0;
	void *r;

	shared_fd = ashmem_create_region("shared", 4 * pg);
	if (shared_fd < 0 ||
	    mmap(NULL, 4 * pg, PROT_READ, MAP_SHARED, shared_fd, 0) == MAP_FAILED)
		bail("shared region");
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	ok(bad == 0, "%d threads x %d regions: every call right (%ld wrong)",
	   THREADS, ROUNDS, bad);
	close(shared_fd);
}

/* --- memfd seals -------------------------------------------------------- */

static int kernel_has_noexec_seal(void)
{
	int fd = memfd_create("probe", MFD_NOEXEC_SEAL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void test_memfd_seals(void)
{
	int fd = ashmem_create_region("seals", pg), seals;
	struct stat st;

	seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;
	if (kernel_has_noexec_seal())
		ok(seals >= 0 && (seals & F_SEAL_EXEC) && fstat(fd, &st) == 0 &&
		   !(st.st_mode & 0111),
		   "memfd region made with MFD_NOEXEC_SEAL: F_SEAL_EXEC, no x bits");
	else
		ok(seals >= 0, "kernel without MFD_NOEXEC_SEAL: a plain sealable memfd");
	ok(ashmem_set_prot_region(fd, PROT_READ) == 0 &&
	   (fcntl(fd, F_GET_SEALS) & (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)) ==
	   (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL),
	   "read-only: F_SEAL_FUTURE_WRITE and F_SEAL_SEAL, as libcutils");
	ok(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM,
	   "so no seal can be added after it");
	ok(ashmem_set_prot_region(fd, PROT_READ) == 0,
	   "asking for read-only again is fine");
	close(fd);
}

/* vm.memfd_noexec=2 in a new pid namespace: libashmem still makes memfds. */
static void test_memfd_noexec_2(void)
{
	int status = -1;
	pid_t pid;

	if (geteuid() || access(NOEXEC_SYSCTL, F_OK)) {
		diag("vm.memfd_noexec=2: %s, not run here",
		     geteuid() ? "needs root" : "kernel before 6.3 has no such setting");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (!pid) {
		pid_t inner;

		if (unshare(CLONE_NEWPID))
			_exit(40);
		inner = fork();
		if (inner < 0)
			_exit(41);
		if (!inner) {
			if (set_knob(NOEXEC_SYSCTL, "2", NULL, 0))
				_exit(42);
			if (memfd_create("exec", MFD_EXEC) >= 0 || errno != EACCES)
				_exit(43);	/* the setting did not take */
			setenv("LIBASHMEM_BACKEND", "memfd", 1);
			execl(self, self, "--create", (char *)NULL);
			_exit(44);
		}
		waitpid(inner, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 45);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "under vm.memfd_noexec=2 (MFD_EXEC: EACCES) a memfd region is made (status %d)",
	   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* --- EINTR --------------------------------------------------------------- */

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	(void)sig;
	signals++;
}

struct pump { pthread_t target; volatile int stop; int purge_fd; volatile int go; };

static void *pump(void *arg)
{
	struct pump *pu = arg;

	while (!pu->stop) {
		pthread_kill(pu->target, SIGUSR1);
		usleep(100);
	}
	return NULL;
}

/* Has a purge marked @fd's (single) range purged?  It punches next. */
static int purge_started(int fd)
{
	char path[64], line[256];
	unsigned long a, b;
	unsigned int pu = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "unpinned: %lu %lu %u", &a, &b, &pu) == 3)
			break;
	if (f)
		fclose(f);
	return pu;
}

static void *purge_once(void *arg)
{
	struct pump *pu = arg;

	while (!pu->go)
		;
	ioctl(pu->purge_fd, ASHMEM_PURGE_ALL_CACHES, 0);
	return NULL;
}

/*
 * PIN waits (interruptibly) for a purge in flight on its region.  Signals
 * without SA_RESTART then make the raw ioctl fail with EINTR; libashmem
 * must retry.  Rounds alternate raw ioctl and library call.
 */
static void test_eintr(void)
{
	size_t size = 16UL << 20;
	int fd = ashmem_create_region("eintr", size), round, raw_eintr = 0;
	int lib_fail = 0, lib_calls = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct pump pu = { .target = pthread_self() };
	pthread_t sender, purger;
	char *p;

	if (geteuid()) {
		diag("PIN interrupted by signals: PURGE_ALL_CACHES needs root, not run here");
		close(fd);
		return;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap eintr");
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
	pu.purge_fd = fd;
	pthread_create(&sender, NULL, pump, &pu);
	for (round = 0; round < 16; round++) {
		struct ashmem_pin pin = { 0, 0 };
		int r;

		memset(p, 'e', size);
		ashmem_unpin_region(fd, 0, 0);
		pu.go = 0;
		pthread_create(&purger, NULL, purge_once, &pu);
		pu.go = 1;
		while (!purge_started(fd))
			;
		if (round % 2) {
			lib_calls++;
			if (ashmem_pin_region(fd, 0, 0) < 0)
				lib_fail++;
		} else {
			r = ioctl(fd, ASHMEM_PIN, &pin);
			if (r < 0 && errno == EINTR)
				raw_eintr++;
		}
		pthread_join(purger, NULL);
		while (ioctl(fd, ASHMEM_PIN, &pin) < 0)
			;
	}
	pu.stop = 1;
	pthread_join(sender, NULL);
	signal(SIGUSR1, SIG_IGN);
	diag("%d signals; raw PIN interrupted %d times in 8 rounds", (int)signals,
	     raw_eintr);
	ok(raw_eintr > 0, "a PIN waiting for a purge is interruptible (EINTR)");
	ok(lib_fail == 0, "ashmem_pin_region retries it: %d of %d calls failed",
	   lib_fail, lib_calls);
	munmap(p, size);
	close(fd);
}

/* --- setuid -------------------------------------------------------------- */

static void test_setuid_ignores_env(void)
{
	const char *copy = "/tmp/t_lib-setuid";
	/* the backend without LIBASHMEM_BACKEND (root opens the device) */
	const char *plain = access("/dev/ashmem", F_OK) ? "memfd" : "ashmem";
	const char *other = strcmp(plain, "ashmem") ? "ashmem" : "memfd";
	char cmd[512], out[64] = "", expect[32];
	int p[2], status = -1;
	ssize_t n;
	pid_t pid;

	if (geteuid()) {
		diag("LIBASHMEM_BACKEND under setuid: needs root, not run here");
		return;
	}
	snprintf(cmd, sizeof(cmd), "cp '%s' %s && chown 0:0 %s && chmod 4755 %s",
		 self, copy, copy, copy);
	if (system(cmd) != 0 || pipe(p))
		bail("setuid copy");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (!pid) {
		dup2(p[1], 1);
		setenv("LIBASHMEM_BACKEND", other, 1);
		if (setgid(65534) || setuid(65534))
			_exit(50);
		execl(copy, copy, "--backend", (char *)NULL);
		_exit(51);
	}
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	unlink(copy);
	diag("setuid copy with LIBASHMEM_BACKEND=%s says: %s", other, out);
	snprintf(expect, sizeof(expect), "secure %s", plain);
	ok(!strcmp(out, expect),
	   "a setuid program ignores LIBASHMEM_BACKEND=%s (secure_getenv)", other);
}

/* --- the API ------------------------------------------------------------- */

static void test_api(void)
{
	int fd, fd2, devnull, memfd;
	char *p, *q;

	fd = ashmem_create_region("lib-test", 4 * pg);
	ok(fd >= 0, "ashmem_create_region");
	if (fd < 0)
		bail("ashmem_create_region");
	ok(ashmem_valid(fd) == 1, "ashmem_valid on the region");
	devnull = open("/dev/null", O_RDWR);
	ok(ashmem_valid(devnull) == 0, "ashmem_valid(/dev/null) is 0");
	ok(ashmem_valid(-1) == 0, "ashmem_valid(-1) is 0");
	ok(ashmem_get_size_region(fd) == 4 * pg, "ashmem_get_size_region");
	{
		struct stat st;
		int is_chr = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);

		ok(is_chr == !strcmp(want, "ashmem"),
		   "the fd is %s", is_chr ? "the ashmem device" : "a memfd");
	}

	p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "mmap RW");
	if (p == MAP_FAILED)
		bail("mmap RW");
	strcpy(p, "shared with child");
	q = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	ok(q != MAP_FAILED && !strcmp(q, "shared with child"),
	   "a second mapping sees the data");
	ok(in_child(child_reads, p) == 0, "a child sees the data");

	ok(ashmem_unpin_region(fd, 0, 0) == 0, "unpin the whole region");
	ok(ashmem_pin_region(fd, 0, 0) == ASHMEM_NOT_PURGED,
	   "pin it again: NOT_PURGED (no pressure, no purge)");
	ok(ashmem_unpin_region(fd, pg, pg) == 0, "unpin one page");
	ok(ashmem_pin_region(fd, pg, pg) == ASHMEM_NOT_PURGED, "pin that page");
	ok(ashmem_pin_region(fd, 1, pg) == -1 && errno == EINVAL,
	   "misaligned pin: EINVAL");
	ok(ashmem_unpin_region(fd, 4 * pg, pg) == -1 && errno == EINVAL,
	   "unpin past the end: EINVAL");
	ok(ashmem_pin_region(devnull, 0, 0) == -1 && errno == EBADF,
	   "pin of a non-region: EBADF");
	ok(ashmem_get_size_region(devnull) == -1 && errno == EBADF,
	   "size of a non-region: EBADF");

	ok(ashmem_set_prot_region(fd, PROT_READ) == 0, "set prot to PROT_READ");
	ok(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	   MAP_FAILED && errno == EPERM, "then a new RW mapping: EPERM");
	q = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	ok(q != MAP_FAILED && !strcmp(q, "shared with child"),
	   "a new R mapping works");
	ok(ashmem_set_prot_region(fd, PROT_READ | PROT_WRITE) == -1 &&
	   errno == EINVAL, "adding PROT_WRITE back: EINVAL");
	ok(ashmem_set_prot_region(devnull, PROT_READ) == -1 && errno == EBADF,
	   "set prot of a non-region: EBADF");

	fd2 = ashmem_create_region(NULL, pg);
	ok(fd2 >= 0 && ashmem_get_size_region(fd2) == pg,
	   "a region without a name");
	memfd = -1;
	if (!strcmp(want, "memfd")) {
		ok(ftruncate(fd2, 2 * pg) < 0 && errno == EPERM,
		   "memfd backend: the size is sealed");
	} else {
		memfd = memfd_create("x", MFD_ALLOW_SEALING);
		ok(memfd >= 0 && ftruncate(memfd, pg) == 0 &&
		   ashmem_valid(memfd) == 1 && ashmem_get_size_region(memfd) == pg,
		   "ashmem backend: a memfd from elsewhere is still a valid region");
	}
	{
		/* a tmpfs file with a name is not a memfd region */
		int named = open("/dev/shm/t_lib-named", O_CREAT | O_RDWR, 0600);

		ok(named >= 0 && ftruncate(named, pg) == 0 &&
		   ashmem_valid(named) == 0 &&
		   ashmem_get_size_region(named) == -1 && errno == EBADF,
		   "a named tmpfs file (/dev/shm) is not a region");
		unlink("/dev/shm/t_lib-named");
		if (named >= 0)
			close(named);
	}
	close(fd2);
	if (memfd >= 0)
		close(memfd);
	close(devnull);
	close(fd);
}

int main(int argc, char **argv)
{
	self = argv[0];
	pg = page_size();
	if (argc == 2 && !strcmp(argv[1], "--backend")) {
		printf("%s %s\n", getauxval(AT_SECURE) ? "secure" : "plain",
		       ashmem_backend());
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--receive"))
		return receive(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "--create"))
		return ashmem_create_region("created", pg) >= 0 ? 0 : 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	want = getenv("LIBASHMEM_BACKEND");
	if (!want)
		want = "";
	diag("backend %s", ashmem_backend());
	ok(!strcmp(ashmem_backend(), want), "backend is %s as requested", want);
	test_api();
	test_received_without_proc();
	test_big();
	test_threads();
	if (!strcmp(want, "memfd")) {
		test_memfd_seals();
		test_memfd_noexec_2();
	} else {
		test_eintr();
	}
	test_setuid_ignores_env();
	return done();
}

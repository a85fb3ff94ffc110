// SPDX-License-Identifier: GPL-2.0
/*
 * mmtest - /init of the matrix guests (x86_64, i386, arm64).
 *
 * Built static against the kernel's own nolibc (tools/include/nolibc), so the
 * same source runs on every guest arch without a foreign-arch libc.  It
 * mounts proc/sys/debugfs, runs the userspace tests and prints their results
 * as KTAP between "@@KTAP-BEGIN" and "@@KTAP-END" lines (the host parses
 * that block with tools/testing/kunit/kunit.py parse), then reboots; QEMU
 * runs with -no-reboot, so the reboot ends the run.
 *
 * Tests:
 *   test_vmalloc   load lib/test_vmalloc.ko with several of its tests and
 *                  report each "Summary:" line of the module as a subtest
 *   ptdump         read the kernel page-table dump in debugfs to the end
 *   mmap_stress    mmap/touch/munmap of mixed exec, non-exec and hugetlb
 *                  mappings next to each other (one munmap frees page
 *                  tables under VMAs of all kinds), with forked children
 *   memfd_secret   create, fault in and free secret memory (direct-map
 *                  removal and restore); SKIP where the kernel has none
 *   exec           fork + execve of this program (which exits at once):
 *                  exec moves the new stack down (relocate_vma_down(), a
 *                  page-table-freeing mmu_gather without any vma)
 *   kunit_rerun    re-run a built-in KUnit suite through debugfs now that
 *                  the tests above have churned the vmalloc area and the
 *                  page tables, and report its results as a subtest
 *
 * Kernel command line options (mmseries.*):
 *   mmseries.iters=N     mmap_stress iterations (default 200)
 *   mmseries.vmalloc_mask=M  test_vmalloc's run_test_mask (default 13371)
 *   mmseries.kunit_rerun=S   the suite kunit_rerun runs (default x86_pae_pgd_list)
 *   mmseries.hotplug=1   after the tests, run the stress children in
 *                        parallel and report memory every time it changes
 *                        ("@@MEM total_kb=... blocks=... online=...") until
 *                        the host writes "quit" on the console; then a
 *                        second KTAP block with the children's results
 *   mmseries.bench=N     instead of the tests, time N rounds of
 *                        mmap_round() without hugetlb and print
 *                        "@@BENCH mmap_munmap ..." (run under QEMU -icount,
 *                        so guest time counts instructions and repeats)
 *   mmseries.kunit_only=1  run none of the tests above: the boot is for
 *                        the built-in KUnit suites alone (make proof)
 *   mmseries.provoke=X   write X to LKDTM's provoke-crash/DIRECT first
 *                        (e.g. WARNING): the harness's own negative test
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif
/* hugetlb page size in mmap flags: log2(size) << MAP_HUGE_SHIFT (26) */
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21U << 26)
#endif

#define HPAGE (2UL << 20)
#define HUGE_2M_POOL "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define KLOG_SIZE (1 << 20)

static char cmdline[4096];
static char klog[KLOG_SIZE];

/* the value of mmseries.<key>= on the command line, or def */
static long opt(const char *key, long def)
{
	char pat[64];
	char *p;

	snprintf(pat, sizeof(pat), "mmseries.%s=", key);
	p = strstr(cmdline, pat);
	return p ? atol(p + strlen(pat)) : def;
}

static const char *opt_str(const char *key, char *buf, size_t len)
{
	char pat[64];
	char *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "mmseries.%s=", key);
	p = strstr(cmdline, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (p[i] && p[i] != ' ' && p[i] != '\n' && i + 1 < len) {
		buf[i] = p[i];
		i++;
	}
	buf[i] = 0;
	return buf;
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (total + 1 < (ssize_t)len && (n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	close(fd);
	return total;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* finit_module(); test_vmalloc returns -EAGAIN once its tests have run */
static int load_module(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, params, 0);
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* the whole kernel log (SYSLOG_ACTION_READ_ALL) */
static int read_klog(void)
{
	int n = syscall(__NR_syslog, 3, klog, KLOG_SIZE - 1);

	if (n < 0)
		return -1;
	klog[n] = 0;
	return n;
}

/* ---- test_vmalloc ---- */

/*
 * fix_size, full_fit, random_size, fix_align, random_size_align, vm_map_ram,
 * vrealloc, no_direct_map_alloc (VM_NO_DIRECT_MAP, patch 0014)
 */
#define VMALLOC_MASK 13371

static int test_vmalloc(int nr)
{
	char names[32][48], params[128];
	int passed[32], failed[32], n = 0, i, bad = 0, ret;
	char *p;

	snprintf(params, sizeof(params), "run_test_mask=%ld nr_threads=2 test_loop_count=200 test_repeat_count=1",
		 opt("vmalloc_mask", VMALLOC_MASK));
	ret = load_module("/lib/modules/test_vmalloc.ko", params);
	if (ret != 0 && ret != -EAGAIN) {
		printf("# test_vmalloc: finit_module failed: %d\n", ret);
		printf("not ok %d test_vmalloc\n", nr);
		return 1;
	}
	read_klog();
	for (p = strstr(klog, "Summary: "); p && n < 32; p = strstr(p + 1, "Summary: ")) {
		char *q = p + 9, *sp = strchr(q, ' ');

		if (!sp || sp - q >= 48)
			continue;
		memcpy(names[n], q, sp - q);
		names[n][sp - q] = 0;
		q = strstr(sp, "passed: ");
		passed[n] = q ? atoi(q + 8) : 0;
		q = strstr(sp, "failed: ");
		failed[n] = q ? atoi(q + 8) : 1;
		n++;
	}
	/* one Summary line per test and worker thread: name them test/worker */
	printf("    KTAP version 1\n    # Subtest: test_vmalloc\n    1..%d\n", n);
	for (i = 0; i < n; i++) {
		int ok = failed[i] == 0 && passed[i] > 0, worker = 0, j;

		for (j = 0; j < i; j++)
			worker += strcmp(names[j], names[i]) == 0;
		printf("    %s %d %s_worker%d\n", ok ? "ok" : "not ok", i + 1, names[i], worker);
		bad += !ok;
	}
	if (n == 0)
		printf("# test_vmalloc: no Summary lines in the kernel log\n");
	printf("%s %d test_vmalloc\n", bad || n == 0 ? "not ok" : "ok", nr);
	return bad || n == 0;
}

/* ---- ptdump ---- */

static const char *ptdump_path(void)
{
	static const char *const paths[] = {
		"/sys/kernel/debug/kernel_page_tables",	/* arm64 */
		"/sys/kernel/debug/page_tables/kernel",	/* x86 */
	};
	unsigned int i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

/* read the dump to the end; returns its size in bytes, or -1 */
static long read_ptdump(const char *path)
{
	static char buf[65536];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return n < 0 ? -1 : total;
}

static int test_ptdump(int nr)
{
	const char *path = ptdump_path();
	long size = path ? read_ptdump(path) : -1;

	printf("# ptdump: %s: %ld bytes\n", path ? path : "(none)", size);
	printf("%s %d ptdump\n", size > 0 ? "ok" : "not ok", nr);
	return size <= 0;
}

/* ---- mmap_stress ---- */

static int have_huge;

/*
 * One round: an 8 MiB window with an exec mapping, a non-exec mapping and
 * (where hugetlb pages exist) a hugetlb mapping side by side, all written
 * and read back, then one munmap of the whole window, which frees the page
 * tables under all of them in one free_pgtables() call.  Returns 0 or -1.
 */
static int mmap_round(unsigned long seed)
{
	size_t len = 3 * HPAGE;
	char *base, *win, *p;
	unsigned long i;
	int prots[3] = { PROT_READ | PROT_WRITE | PROT_EXEC, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE };

	base = mmap(NULL, len + HPAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	/* 2 MiB aligned, so each piece has its own PMD */
	win = (char *)(((unsigned long)base + HPAGE - 1) & ~(HPAGE - 1));
	for (i = 0; i < 3; i++) {
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
		int k = (seed + i) % 3;

		if (k == 2) {
			if (!have_huge)
				continue;
			/* 2 MiB pages whatever the default size (512M with 64K pages) */
			flags |= MAP_HUGETLB | MAP_HUGE_2MB;
		}
		p = mmap(win + i * HPAGE, HPAGE, prots[k], flags, -1, 0);
		if (p == MAP_FAILED) {
			if (k == 2 && errno == ENOMEM)
				continue;	/* hugetlb pool busy */
			return -1;
		}
		for (unsigned long off = 0; off < HPAGE; off += 4096)
			p[off] = (char)(seed + off / 4096);
		for (unsigned long off = 0; off < HPAGE; off += 4096)
			if (p[off] != (char)(seed + off / 4096))
				return -1;
	}
	/* and a forked child that maps and exits (exit_mmap path) */
	if (seed % 16 == 0) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			win[0] = 1;
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return -1;
	}
	return munmap(base, len + HPAGE) ? -1 : 0;
}

static int test_mmap_stress(int nr)
{
	long iters = opt("iters", 200), i;

	for (i = 0; i < iters; i++) {
		if (mmap_round(i)) {
			printf("# mmap_stress: round %ld failed, errno %d\n", i, errno);
			printf("not ok %d mmap_stress\n", nr);
			return 1;
		}
	}
	printf("# mmap_stress: %ld rounds, hugetlb %s\n", iters, have_huge ? "yes" : "no");
	printf("ok %d mmap_stress\n", nr);
	return 0;
}

/* N rounds of mmap_round() (exec + non-exec, no hugetlb), timed */
static void bench(long rounds)
{
	struct timespec t0, t1;
	long i, us, per_round;
	int huge = have_huge;

	have_huge = 0;
	for (i = 0; i < 10; i++)		/* warm up */
		mmap_round(i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rounds; i++)
		if (mmap_round(i * 16 + 1))	/* never a multiple of 16: no fork */
			break;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	have_huge = huge;
	/*
	 * Microseconds in a long: a 32-bit long holds 35 minutes of them but
	 * only 2.1 s of nanoseconds, and i386 links no libgcc for a 64-bit
	 * division (tv_sec and tv_nsec may be 64-bit: hence the casts).  ns
	 * per round without an overflow: (us / i) * 1000 plus the rest.
	 */
	us = (long)(t1.tv_sec - t0.tv_sec) * 1000000L +
	     (long)(t1.tv_nsec - t0.tv_nsec) / 1000;
	per_round = i ? us / i * 1000 + us % i * 1000 / i : 0;
	printf("@@BENCH mmap_munmap rounds=%ld total_us=%ld ns_per_round=%ld%s\n",
	       i, us, per_round, i < rounds ? " FAILED" : "");
}

/* ---- memfd_secret ---- */

/* returns 0, -1 on failure, 1 when the kernel has no secretmem */
static int secret_round(int i)
{
	int fd = syscall(__NR_memfd_secret, 0);
	char *p;

	if (fd < 0)
		return errno == ENOSYS ? 1 : -1;
	if (ftruncate(fd, 16 * 4096)) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return errno == ENOMEM || errno == EAGAIN ? 0 : -1;
	for (int off = 0; off < 16 * 4096; off += 4096)
		p[off] = (char)i;
	return munmap(p, 16 * 4096) ? -1 : 0;
}

static int test_memfd_secret(int nr)
{
	int i, ret = 0;

	for (i = 0; i < 100 && ret == 0; i++)
		ret = secret_round(i);
	if (ret == 1)
		printf("ok %d memfd_secret # SKIP no secretmem in this kernel\n", nr);
	else
		printf("%s %d memfd_secret\n", ret ? "not ok" : "ok", nr);
	return ret < 0;
}

/* ---- exec ---- */

static int test_exec(int nr)
{
	char *const argv[] = { "/init", "--exec-child", NULL };
	char *const envp[] = { NULL };
	int i, st = 0;

	for (i = 0; i < 50; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execve("/init", argv, envp);
			_exit(2);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("# exec: round %d failed (status %d)\n", i, st);
			printf("not ok %d exec\n", nr);
			return 1;
		}
	}
	printf("ok %d exec\n", nr);
	return 0;
}

/* ---- hot-plug phase ---- */

static void count_memory(long *total_kb, int *blocks, int *online)
{
	static char buf[8192];
	char path[128], st[32];
	char *p;
	int i;

	*total_kb = 0;
	if (read_file("/proc/meminfo", buf, sizeof(buf)) > 0 && (p = strstr(buf, "MemTotal:"))) {
		for (p += 9; *p == ' '; p++)
			;
		*total_kb = atol(p);
	}
	*blocks = *online = 0;
	/* memory block ids are small here (128 MiB blocks, <= 8 GiB) */
	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%d/state", i);
		if (read_file(path, st, sizeof(st)) <= 0)
			continue;
		(*blocks)++;
		*online += strncmp(st, "online", 6) == 0;
	}
}

enum { CH_VMALLOC, CH_PTDUMP, CH_MMAP, CH_SECRET, NR_CHILDREN };
static const char *const child_names[NR_CHILDREN] = {
	"stress_vmalloc", "stress_ptdump", "stress_mmap", "stress_memfd_secret",
};

/* a stress child: loops until SIGTERM; exits 1 on the first error */
static void child_loop(int which)
{
	const char *pt = ptdump_path();
	unsigned long i;
	char params[96];
	int ret;

	snprintf(params, sizeof(params), "run_test_mask=%ld nr_threads=1 test_loop_count=50",
		 opt("vmalloc_mask", VMALLOC_MASK));
	for (i = 0;; i++) {
		switch (which) {
		case CH_VMALLOC:
			ret = load_module("/lib/modules/test_vmalloc.ko", params);
			if (ret && ret != -EAGAIN)
				_exit(1);
			break;
		case CH_PTDUMP:
			if (pt && read_ptdump(pt) <= 0)
				_exit(1);
			break;
		case CH_MMAP:
			if (mmap_round(i))
				_exit(1);
			break;
		case CH_SECRET:
			if (secret_round(i) < 0)
				_exit(1);
			break;
		}
	}
}

static int hotplug_phase(int nr)
{
	pid_t pids[NR_CHILDREN];
	long total, last_total = -1;
	int blocks, online, last_blocks = -1, last_online = -1, i, bad = 0;
	char line[64];
	size_t len = 0;

	for (i = 0; i < NR_CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			child_loop(i);
	}
	printf("@@HOTPLUG-READY\n");
	for (;;) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };

		count_memory(&total, &blocks, &online);
		if (total != last_total || blocks != last_blocks || online != last_online) {
			printf("@@MEM total_kb=%ld blocks=%d online=%d\n", total, blocks, online);
			last_total = total;
			last_blocks = blocks;
			last_online = online;
		}
		if (poll(&pfd, 1, 200) > 0) {
			char c;

			if (read(0, &c, 1) != 1)
				continue;
			if (c != '\n' && c != '\r') {
				if (len + 1 < sizeof(line))
					line[len++] = c;
				continue;
			}
			line[len] = 0;
			len = 0;
			if (strcmp(line, "quit") == 0)
				break;
			if (strcmp(line, "mem") == 0)
				last_total = -1;	/* report again */
		}
	}
	printf("@@KTAP-BEGIN\nKTAP version 1\n1..%d\n", NR_CHILDREN);
	for (i = 0; i < NR_CHILDREN; i++) {
		int st = 0, ok;

		kill(pids[i], SIGTERM);
		ok = waitpid(pids[i], &st, 0) == pids[i] &&
		     (WIFSIGNALED(st) ? WTERMSIG(st) == SIGTERM : WEXITSTATUS(st) == 0);
		printf("%s %d %s\n", ok ? "ok" : "not ok", nr + i, child_names[i]);
		bad += !ok;
	}
	printf("@@KTAP-END\n");
	return bad;
}

/* ---- a KUnit suite, again, after the tests ---- */

/*
 * /sys/kernel/debug/kunit/<suite>/run (CONFIG_KUNIT_DEBUGFS) runs a built-in
 * suite again; <suite>/results is then a KTAP document whose one test is the
 * suite ("KTAP version 1", "1..1", the suite, "ok 1 <suite>").  Its lines
 * after the first two become this test's subtests.
 */
static int test_kunit_rerun(int nr)
{
	static char res[1 << 16];
	char suite[64], path[128], level[64] = "", *line, *next;
	const char *name = opt_str("kunit_rerun", suite, sizeof(suite)) ? suite : "x86_pae_pgd_list";
	int fd, ok = 0, i = 0, ret;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/run", name);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("ok %d kunit_rerun # SKIP no %s\n", nr, path);
		return 0;
	}
	close(fd);
	/*
	 * The suite's own printk lines (KERN_INFO) would interleave with ours
	 * on the console: show only KERN_WARNING and worse while it runs (every
	 * splat still reaches the log), and let the console drain.
	 */
	read_file("/proc/sys/kernel/printk", level, sizeof(level));
	write_file("/proc/sys/kernel/printk", "5");
	ret = write_file(path, "1");
	sleep(1);
	write_file("/proc/sys/kernel/printk", level);
	if (ret < 0) {
		printf("# kunit_rerun: writing %s failed: %d\n", path, errno);
		printf("not ok %d kunit_rerun\n", nr);
		return 1;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/results", name);
	if (read_file(path, res, sizeof(res)) <= 0) {
		printf("# kunit_rerun: no %s\n", path);
		printf("not ok %d kunit_rerun\n", nr);
		return 1;
	}
	printf("    KTAP version 1\n    # Subtest: kunit_rerun\n    1..1\n");
	for (line = res; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		if (i++ < 2)
			continue;
		printf("    %s\n", line);
		if (strncmp(line, "ok 1 ", 5) == 0)
			ok = 1;
	}
	printf("%s %d kunit_rerun\n", ok ? "ok" : "not ok", nr);
	return !ok;
}

static void setup(void)
{
	char buf[64];

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	/*
	 * a small hugetlb pool of 2 MiB pages for mmap_stress: named by size,
	 * since /proc/sys/vm/nr_hugepages is the default size's pool (512 MiB
	 * pages on arm64 with 64K pages)
	 */
	have_huge = write_file(HUGE_2M_POOL, "8") == 0 &&
		    read_file(HUGE_2M_POOL, buf, sizeof(buf)) > 0 && atoi(buf) > 0;
}

int main(int argc, char **argv)
{
	char what[32];
	int fails = 0, nr = 0;

	if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
		return 0;
	setup();
	if (opt_str("provoke", what, sizeof(what))) {
		load_module("/lib/modules/lkdtm.ko", "");
		printf("# provoking %s through LKDTM\n", what);
		write_file("/sys/kernel/debug/provoke-crash/DIRECT", what);
	}
	if (opt("bench", 0) > 0) {
		/* a benchmark boot runs nothing else */
		bench(opt("bench", 0));
		printf("@@DONE fails=0\n");
		reboot(RB_AUTOBOOT);
		return 0;
	}
	if (opt("kunit_only", 0)) {
		/* the kernel's own KTAP is all this boot is for */
		printf("@@DONE fails=0\n");
		reboot(RB_AUTOBOOT);
		return 0;
	}
	printf("@@KTAP-BEGIN\nKTAP version 1\n1..6\n");
	fails += test_vmalloc(++nr);
	fails += test_ptdump(++nr);
	fails += test_mmap_stress(++nr);
	fails += test_memfd_secret(++nr);
	fails += test_exec(++nr);
	fails += test_kunit_rerun(++nr);
	printf("@@KTAP-END\n");
	if (opt("hotplug", 0))
		fails += hotplug_phase(1);
	printf("@@DONE fails=%d\n", fails);
	reboot(RB_AUTOBOOT);
	return 0;
}

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
 *   kvm_fpstate    create a KVM VM and vCPU: its guest FPU state must be
 *                  a no_direct_map area in /proc/vmallocinfo, and "disk"
 *                  must leave /sys/power/state, until they are closed;
 *                  SKIP without /dev/kvm
 *   vmemmap_pmem   (its own boots) remove pmem namespaces whose memmaps
 *                  share vmemmap pages, and check what stays mapped
 *
 * Kernel command line options (mmseries.*):
 *   mmseries.iters=N     mmap_stress iterations (default 200)
 *   mmseries.vmalloc_mask=M  test_vmalloc's run_test_mask (default 5179)
 *   mmseries.vmalloc_threads=N  test_vmalloc's nr_threads (default 2)
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
 *   mmseries.vmbench=1   instead of the tests, print what the built-in
 *                        test_vmalloc measured at boot, the kprobe event
 *                        hits and the direct-map splits ("@@BENCH" lines)
 *   mmseries.kunit_only=1  run none of the tests above: the boot is for
 *                        the built-in KUnit suites alone (make proof)
 *   mmseries.provoke=X   write X to LKDTM's provoke-crash/DIRECT first
 *                        (e.g. WARNING): the harness's own negative test
 *   mmseries.kvm=1       instead of the tests, kvm_fpstate alone
 *   mmseries.pmem=S      instead of the tests, the vmemmap_pmem scenario S
 *                        (shared, unaligned) on the pmem regions of the
 *                        device tree (configs/qemu/arm64-64k-pmem*.conf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <asm/ioctls.h>
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
 * vrealloc
 */
#define VMALLOC_MASK 5179

static int test_vmalloc(int nr)
{
	char names[32][48], params[128];
	int passed[32], failed[32], n = 0, i, bad = 0, ret;
	char *p;

	snprintf(params, sizeof(params), "run_test_mask=%ld nr_threads=%ld test_loop_count=200 test_repeat_count=1",
		 opt("vmalloc_mask", VMALLOC_MASK), opt("vmalloc_threads", 2));
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

/*
 * mmseries.vmbench=1: the kernel's built-in test_vmalloc ran at boot with the
 * parameters of configs/bench.conf.  Print, as "@@BENCH" lines, its Summary
 * lines, its nr_pages, the direct-map splits of /proc/vmstat (x86) and, where
 * the boot defined kprobe events (kprobe_event=): how many flush calls
 * ("kflush", "kflushall") the trace holds between the entry ("s_<test>") and
 * the return ("e_<test>") of each test.  The bench boots run with -smp 1, so
 * the trace is in order.
 */
static char trace[4 << 20];

static void vmbench(void)
{
	char *p, *e, test[32] = "";
	long kflush = 0, kflushall = 0;
	static char buf[16384];

	read_klog();
	for (p = strstr(klog, "Summary: "); p; p = strstr(p + 1, "Summary: ")) {
		e = strchr(p, '\n');
		printf("@@BENCH test_vmalloc %.*s\n", e ? (int)(e - p - 9) : 200, p + 9);
	}
	if (read_file("/sys/module/test_vmalloc/parameters/nr_pages", buf, sizeof(buf)) > 0)
		printf("@@BENCH vmbench nr_pages=%ld\n", atol(buf));
	if (read_file("/proc/vmstat", buf, sizeof(buf)) > 0) {
		for (p = strstr(buf, "direct_map_level"); p; p = strstr(p + 1, "direct_map_level")) {
			char *q = strchr(p, ' ');

			e = strchr(p, '\n');
			if (q && (!e || q < e))
				printf("@@BENCH vmstat %.*s=%ld\n", (int)(q - p), p, atol(q + 1));
		}
	}
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (read_file("/sys/kernel/tracing/trace", trace, sizeof(trace)) <= 0)
		return;
	for (p = trace; *p; p = e ? e + 1 : p + strlen(p)) {
		char *ev;

		e = strchr(p, '\n');
		if (e)
			*e = 0;
		if (*p == '#')
			continue;
		ev = strstr(p, ": s_");
		if (ev) {
			char *colon = strchr(ev + 4, ':');
			size_t n = colon ? (size_t)(colon - ev - 4) : 0;

			if (n >= sizeof(test))
				n = sizeof(test) - 1;
			memcpy(test, ev + 4, n);
			test[n] = 0;
			kflush = kflushall = 0;
		} else if (test[0] && strstr(p, ": e_")) {
			printf("@@BENCH flushes test=%s flush_tlb_kernel_range=%ld flush_tlb_all=%ld\n",
			       test, kflush, kflushall);
			test[0] = 0;
		} else if (strstr(p, ": kflushall:")) {
			kflushall++;
		} else if (strstr(p, ": kflush:")) {
			kflush++;
		}
	}
}

/* ---- kvm_fpstate ---- */

/* <linux/kvm.h>: _IO(KVMIO, 0x01) and _IO(KVMIO, 0x41) */
#define KVM_CREATE_VM	0xae01
#define KVM_CREATE_VCPU	0xae41

static char vminfo[1 << 20];

/* how many /proc/vmallocinfo areas are tagged no_direct_map */
static int no_direct_map_areas(void)
{
	int n = 0;
	char *p;

	if (read_file("/proc/vmallocinfo", vminfo, sizeof(vminfo)) < 0)
		return -1;
	for (p = strstr(vminfo, " no_direct_map"); p; p = strstr(p + 1, " no_direct_map"))
		n++;
	return n;
}

/* 1 if /sys/power/state offers "disk", i.e. hibernation_available() */
static int hibernation_offered(void)
{
	char buf[128];

	if (read_file("/sys/power/state", buf, sizeof(buf)) < 0)
		return -1;
	return strstr(buf, "disk") != NULL;
}

/*
 * A test with subtests collects their KTAP lines here, to print them after
 * its own diagnostic lines, under the test's result.
 */
static char ktap_buf[8192];
static size_t ktap_len;

#define kt(...) (ktap_len += snprintf(ktap_buf + ktap_len, sizeof(ktap_buf) - ktap_len, __VA_ARGS__))

/* one KTAP subtest result line; returns 1 if it failed */
static int kt_case(int nr, int ok, const char *name)
{
	kt("    %s %d %s\n", ok ? "ok" : "not ok", nr, name);
	return !ok;
}

/* a VM with one vCPU: 1 if both were created, 0 if not, and closed again */
static int vcpu_created(int kvm)
{
	int vm, vcpu;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	return vcpu >= 0;
}

/*
 * From the open() of /dev/snapshot for reading to its close(), hibernation is
 * being prepared (PM_HIBERNATION_PREPARE ... PM_POST_HIBERNATION): no new
 * VM_NO_DIRECT_MAP area, so no new vCPU; after the close, vCPUs again.
 * 1: as expected, 0: not, -1: /dev/snapshot cannot be opened.
 */
static int vcpu_refused_while_hibernating(int kvm)
{
	int snap, during, after;

	snap = open("/dev/snapshot", O_RDONLY);
	if (snap < 0)
		return -1;
	during = vcpu_created(kvm);
	close(snap);
	after = vcpu_created(kvm);
	printf("# kvm_fpstate: with /dev/snapshot open a vCPU was %screated, after its close %screated\n",
	       during ? "" : "not ", after ? "" : "not ");
	return !during && after;
}

/*
 * A KVM vCPU's guest FPU state (fpu_alloc_guest_fpstate()) is a
 * VM_NO_DIRECT_MAP area for the vCPU's lifetime, and hibernation is not
 * offered while it lives, nor is a vCPU created while hibernation is being
 * prepared.  Where the kernel has no /dev/kvm (no KVM, or a CPU without
 * SVM/VMX), SKIP.
 */
static int test_kvm_fpstate(int nr)
{
	int kvm, vm, vcpu, before, during, after = -1, hib0, hib1, hib2 = -1;
	int i, bad = 0, n = 0, snap = -1;

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0) {
		printf("ok %d kvm_fpstate # SKIP no /dev/kvm\n", nr);
		return 0;
	}
	before = no_direct_map_areas();
	hib0 = hibernation_offered();
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	during = no_direct_map_areas();
	hib1 = hibernation_offered();
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	/* the last close destroys the VM; give it a second */
	for (i = 0; i < 10; i++) {
		after = no_direct_map_areas();
		hib2 = hibernation_offered();
		if (after == before && hib2 == hib0)
			break;
		usleep(100000);
	}
	if (hib0 == 1)
		snap = vcpu_refused_while_hibernating(kvm);
	close(kvm);
	printf("# kvm_fpstate: no_direct_map areas %d before, %d with a vCPU, %d after; /sys/power/state disk %d, %d, %d\n",
	       before, during, after, hib0, hib1, hib2);
	ktap_len = 0;
	kt("    KTAP version 1\n    # Subtest: kvm_fpstate\n    1..6\n");
	bad += kt_case(++n, vm >= 0 && vcpu >= 0, "vcpu_created");
	bad += kt_case(++n, before >= 0 && during == before + 1, "fpstate_out_of_direct_map");
	bad += kt_case(++n, after == before, "fpstate_freed");
	if (hib0 == 1) {
		bad += kt_case(++n, hib1 == 0, "hibernation_refused");
		bad += kt_case(++n, hib2 == 1, "hibernation_back");
	} else {
		kt("    ok %d hibernation_refused # SKIP no \"disk\" before the test\n", ++n);
		kt("    ok %d hibernation_back # SKIP no \"disk\" before the test\n", ++n);
	}
	if (snap >= 0)
		bad += kt_case(++n, snap == 1, "no_vcpu_while_hibernating");
	else
		kt("    ok %d no_vcpu_while_hibernating # SKIP %s\n", ++n,
		   hib0 == 1 ? "no /dev/snapshot" : "no \"disk\" before the test");
	printf("%s%s %d kvm_fpstate\n", ktap_buf, bad ? "not ok" : "ok", nr);
	return bad != 0;
}

/* ---- vmemmap_pmem (mmseries.pmem=shared|unaligned) ---- */

/*
 * Memory hot-remove of ZONE_DEVICE memory in 2M sub-section units, through
 * the pmem driver (the arm64-64k-pmem* and arm64-16k-pmem* runs).  Each
 * region of the device tree's "pmem-region" node (of_pmem) has one raw
 * namespace, which nd_pmem binds and memmaps with devm_memremap_pages();
 * unbinding the namespace from nd_pmem removes that memmap again
 * (memunmap_pages()).  Both drivers are modules, loaded here, so that a
 * probe that oopses does so after init has started.  The run's PMEM=
 * places the regions:
 *
 *   shared:    two regions whose memmaps share one vmemmap page and own no
 *              other (64K pages: 16M each at the start of a section, memmap
 *              16K each with a 64-byte struct page).  Unbinding the first
 *              must leave that page mapped; unbinding the second must then
 *              work and free it.
 *   unaligned: one region whose memmap ends part-way into a vmemmap page,
 *              at an offset no larger than the one it starts at (64K pages:
 *              64M, 16M into a section, memmap [16K, 80K) of the
 *              section's).  Binding must map every page of it; unbinding
 *              must free them all.
 *   altmap:    two regions as fsdax namespaces with their memmap in the
 *              device (64K pages: 96M each, memmaps [0, 96K) and [96K,
 *              192K)): the page they share must come from the page
 *              allocator, their own pages from their altmaps, and removing
 *              the upper one must keep the shared page, without a warning.
 *
 * The oracle is the kernel page-table dump (debugfs): the vmemmap pages that
 * are mapped, and that only the boot memory's memmap is left once every
 * region is gone (the regions are in a section of their own, whose memmap
 * is not next to the boot memory's).  A step that may oops (on a kernel
 * without the fix it touches unmapped struct pages) runs in a child with a
 * deadline, and the kernel's taint flags D and W are checked after it, so
 * that the case fails by its assertion, not only by the splat.
 */
#define PMEM_MAX 8
#define ND_DEV "/sys/bus/nd/devices"
#define ND_PMEM "/sys/bus/nd/drivers/nd_pmem"
#define TAINT_DIE (1L << 7)			/* D: the kernel oopsed */
#define TAINT_DIE_WARN (TAINT_DIE | (1L << 9))	/* D, or W: it warned */

struct pmem_ns {
	int id;				/* namespace<id>.0 */
	unsigned long long start, size;
};

static long taint(void)
{
	char buf[32];

	return read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) > 0 ? atol(buf) : -1;
}

/* did the kernel oops or warn since the taint flags were @taint0? */
static int new_splat(long taint0)
{
	return ((taint() ^ taint0) & TAINT_DIE_WARN) != 0;
}

/* the namespaces of the pmem regions, by address; returns how many */
static int pmem_namespaces(struct pmem_ns *ns)
{
	char path[96], buf[64];
	int i, j, n = 0;

	for (i = 0; i < PMEM_MAX; i++) {
		snprintf(path, sizeof(path), ND_DEV "/namespace%d.0/resource", i);
		if (read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		ns[n].id = i;
		ns[n].start = strtoull(buf, NULL, 0);
		snprintf(path, sizeof(path), ND_DEV "/namespace%d.0/size", i);
		ns[n].size = read_file(path, buf, sizeof(buf)) > 0 ? strtoull(buf, NULL, 0) : 0;
		for (j = n; j > 0 && ns[j - 1].start > ns[j].start; j--) {
			struct pmem_ns t = ns[j];

			ns[j] = ns[j - 1];
			ns[j - 1] = t;
		}
		n++;
	}
	return n;
}

static int nd_bound(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), ND_PMEM "/%s", name);
	return access(path, F_OK) == 0;
}

/*
 * Bound and done: the driver core links a device to its driver before the
 * probe runs, but nd_pmem adds the block device last, after the memmap.
 */
static int nd_ready(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), ND_DEV "/%s/block", name);
	return nd_bound(name) && access(path, F_OK) == 0;
}

static int pmem_ready(int id)
{
	char name[32];

	snprintf(name, sizeof(name), "namespace%d.0", id);
	return nd_ready(name);
}

/*
 * Wait up to @secs for @want namespaces, all bound to nd_pmem (probing is
 * asynchronous), or until the kernel oopses.  Polls sysfs without taking
 * any device lock, so that it also returns on a kernel whose probe oopsed.
 * Returns how many are bound.
 */
static int pmem_wait_bound(struct pmem_ns *ns, int want, int secs)
{
	int n = 0, bound = 0, i, tick;

	for (tick = 0; tick <= secs * 4; tick++) {
		n = pmem_namespaces(ns);
		for (bound = 0, i = 0; i < n; i++)
			bound += pmem_ready(ns[i].id);
		if ((n >= want && bound == n) || (taint() & TAINT_DIE))
			break;
		usleep(250000);
	}
	return n >= want ? bound : 0;
}

/* wait up to @secs for @want namespaces, or an oops; returns how many */
static int pmem_wait_namespaces(struct pmem_ns *ns, int want, int secs)
{
	int n = 0, tick;

	for (tick = 0; tick <= secs * 4; tick++) {
		n = pmem_namespaces(ns);
		if (n >= want || (taint() & TAINT_DIE))
			break;
		usleep(250000);
	}
	return n;
}

/* wait up to @secs for device @name to be bound to nd_pmem, or an oops */
static int nd_wait_bound(const char *name, int secs)
{
	int tick;

	for (tick = 0; tick <= secs * 4; tick++) {
		if (nd_ready(name))
			return 1;
		if (taint() & TAINT_DIE)
			break;
		usleep(250000);
	}
	return 0;
}

/*
 * Run fn(arg) in a child, which may oops; 0 if the child finished within
 * @secs and fn() returned 0.  A child that oopsed may never be reaped (it
 * dies holding the device lock or the hot-plug lock), so it is polled, for
 * a second more once the kernel has oopsed.
 */
static int in_child(int (*fn)(const char *), const char *arg, int secs)
{
	long died = taint() & TAINT_DIE;
	int st = 0, tick;
	pid_t pid;

	pid = fork();
	if (pid == 0)
		_exit(fn(arg) ? 1 : 0);
	if (pid < 0)
		return -1;
	for (tick = 0; tick <= secs * 4; tick++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
		if (!died && (taint() & TAINT_DIE)) {
			died = 1;
			secs = tick / 4 + 1;
		}
		usleep(250000);
	}
	kt("    # %s: no exit within %ds\n", arg, secs);
	return -1;
}

static int unbind_fn(const char *name)
{
	return write_file(ND_PMEM "/unbind", name);
}

/* a driver's probe may run in the task that loads it */
static int load_fn(const char *path)
{
	return load_module(path, "");
}

/* unbind device @name from nd_pmem; 0 if it is then unbound */
static int nd_unbind(const char *name, int secs)
{
	return in_child(unbind_fn, name, secs) == 0 && !nd_bound(name) ? 0 : -1;
}

static int pmem_unbind(int id, int secs)
{
	char name[32];

	snprintf(name, sizeof(name), "namespace%d.0", id);
	return nd_unbind(name, secs);
}

/*
 * The vmemmap pages mapped, from the page-table dump: the bytes mapped in
 * all (*total), and in the mapped range that begins the vmemmap, which is
 * the boot memory's memmap (*first).  Returns the number of mapped ranges
 * (adjacent mapped lines count as one), or -1.  Not once the kernel has
 * oopsed: the dump takes get_online_mems(), and a task that died in
 * memunmap_pages() holds the hot-plug lock for ever.
 */
static int vmemmap_mapped(unsigned long long *total, unsigned long long *first)
{
	static char dump[1 << 20];
	unsigned long long s, e, last_end = 0;
	const char *path = ptdump_path();
	char *p, *q, *eol;
	int ranges = 0, in = 0;

	*total = *first = 0;
	if (taint() & TAINT_DIE) {
		kt("    # the kernel oopsed: no page-table dump\n");
		return -1;
	}
	if (!path || read_file(path, dump, sizeof(dump)) <= 0)
		return -1;
	for (p = dump; *p; p = eol + 1) {
		int tokens = 0;

		eol = strchr(p, '\n');
		if (!eol)
			break;
		*eol = 0;
		if (strstr(p, "vmemmap start")) {
			in = 1;
			continue;
		}
		if (strstr(p, "vmemmap end"))
			break;
		if (!in || strncmp(p, "0x", 2))
			continue;
		s = strtoull(p, &q, 16);
		if (*q != '-')
			continue;
		e = strtoull(q + 1, &q, 16);
		/* "<size> <level>" and then the attributes, if it is mapped */
		for (; *q; tokens++) {
			while (*q == ' ')
				q++;
			if (!*q)
				break;
			while (*q && *q != ' ')
				q++;
		}
		if (tokens <= 2)
			continue;
		if (s != last_end || !ranges)
			ranges++;
		if (ranges == 1)
			*first += e - s;
		*total += e - s;
		last_end = e;
	}
	return ranges;
}

static int pmem_shared(void)
{
	unsigned long long t0, f0, t1, f1, t2, f2;
	struct pmem_ns ns[PMEM_MAX];
	int bad = 0, ok, r0, r2, bound;
	long taint0 = taint();

	kt("    1..4\n");
	bound = pmem_wait_bound(ns, 2, 120);
	r0 = vmemmap_mapped(&t0, &f0);
	kt("    # %d namespaces bound; vmemmap: %d mapped ranges, %lluK (boot memory %lluK)\n",
	   bound, r0, t0 >> 10, f0 >> 10);
	if (bound >= 2)
		kt("    # A = namespace%d.0 [0x%llx, +%lluM), B = namespace%d.0 [0x%llx, +%lluM)\n",
		   ns[0].id, ns[0].start, ns[0].size >> 20, ns[1].id, ns[1].start, ns[1].size >> 20);
	ok = bound == 2 && r0 >= 2;
	bad += kt_case(1, ok, "regions_memmapped");
	if (!ok) {
		kt("    ok 2 first_removal_keeps_shared_page # SKIP no two memmapped regions\n");
		kt("    ok 3 second_removal_works # SKIP\n    ok 4 last_removal_frees_shared_page # SKIP\n");
		return 1;
	}

	ok = pmem_unbind(ns[0].id, 60) == 0;
	ok = vmemmap_mapped(&t1, &f1) > 0 && ok;
	kt("    # A unbound: %s; vmemmap %lluK mapped (%lluK before)\n", ok ? "yes" : "no", t1 >> 10, t0 >> 10);
	bad += kt_case(2, ok && t1 == t0 && !new_splat(taint0),
		       "first_removal_keeps_shared_page");

	ok = pmem_unbind(ns[1].id, 60) == 0;
	kt("    # B unbound: %s; taint %ld (%ld at the start)\n", ok ? "yes" : "no", taint(), taint0);
	bad += kt_case(3, ok && !new_splat(taint0), "second_removal_works");

	r2 = vmemmap_mapped(&t2, &f2);
	kt("    # both gone: vmemmap %d mapped ranges, %lluK (boot memory %lluK)\n", r2, t2 >> 10, f2 >> 10);
	bad += kt_case(4, ok && r2 == 1 && t2 == f0, "last_removal_frees_shared_page");
	return bad > 0;
}

static int pmem_unaligned(void)
{
	unsigned long long t0, f0, t1, f1;
	struct pmem_ns ns[PMEM_MAX];
	int bad = 0, ok, r0, r1, bound;
	long taint0 = taint();

	kt("    1..2\n");
	bound = pmem_wait_bound(ns, 1, 120);
	r0 = vmemmap_mapped(&t0, &f0);
	kt("    # %d namespaces bound; vmemmap: %d mapped ranges, %lluK (boot memory %lluK); taint %ld\n",
	   bound, r0, t0 >> 10, f0 >> 10, taint0);
	if (bound)
		kt("    # C = namespace%d.0 [0x%llx, +%lluM)\n", ns[0].id, ns[0].start, ns[0].size >> 20);
	ok = bound == 1 && r0 >= 2 && !(taint0 & TAINT_DIE_WARN);
	bad += kt_case(1, ok, "unaligned_region_memmapped");
	if (!ok) {
		kt("    ok 2 removal_frees_its_memmap # SKIP the region is not memmapped\n");
		return 1;
	}
	ok = pmem_unbind(ns[0].id, 60) == 0;
	r1 = vmemmap_mapped(&t1, &f1);
	kt("    # C unbound: %s; vmemmap %d mapped ranges, %lluK; taint %ld\n", ok ? "yes" : "no", r1, t1 >> 10, taint());
	bad += kt_case(2, ok && r1 == 1 && t1 == f0 && !new_splat(taint0),
		       "removal_frees_its_memmap");
	return bad > 0;
}

/*
 * The vmemmap pages of the memmap of [start, end), for a 64-byte struct
 * page.  In unsigned long: the test runs on 64-bit arm64 only, and a 32-bit
 * build must not need libgcc's 64-bit division.
 */
static void memmap_pages(unsigned long start, unsigned long end,
			 unsigned long long *first, unsigned long long *last)
{
	unsigned long page = getpagesize();

	*first = start / page * 64 / page;
	*last = (end / page * 64 - 1) / page;
}

/*
 * Make namespace<id>.0, unbound, an fsdax namespace with its memmap in the
 * device (the pfn device of its region in mode "pmem": an altmap), for
 * nd_pmem to bind; the pfn device's name goes to @pfn.  ndctl
 * create-namespace -m fsdax writes the same attributes.
 */
static int pmem_make_fsdax(int id, char *pfn, size_t len)
{
	char path[96], ns[32];
	char *nl;

	snprintf(path, sizeof(path), ND_DEV "/region%d/pfn_seed", id);
	if (read_file(path, pfn, len) <= 0)
		return -1;
	nl = strchr(pfn, '\n');
	if (nl)
		*nl = 0;
	snprintf(ns, sizeof(ns), "namespace%d.0", id);
	snprintf(path, sizeof(path), ND_DEV "/%s/uuid", pfn);
	if (write_file(path, id ? "4a8c1f3e-6b2d-4e57-9a10-2f6e4ac40002" :
				  "4a8c1f3e-6b2d-4e57-9a10-2f6e4ac40001"))
		return -1;
	snprintf(path, sizeof(path), ND_DEV "/%s/mode", pfn);
	if (write_file(path, "pmem"))
		return -1;
	snprintf(path, sizeof(path), ND_DEV "/%s/namespace", pfn);
	return write_file(path, ns);
}

static unsigned long long pfn_size(const char *pfn)
{
	char path[96], buf[32];

	snprintf(path, sizeof(path), ND_DEV "/%s/size", pfn);
	return *pfn && read_file(path, buf, sizeof(buf)) > 0 ? strtoull(buf, NULL, 0) : 0;
}

static int pmem_altmap(void)
{
	unsigned long long t0, f0, t1, f1, t2, f2, fa, la, fb, lb, excl;
	unsigned long long page = getpagesize();
	struct pmem_ns ns[PMEM_MAX];
	int bad = 0, ok, r0, r2;
	char pfn_a[32] = "", pfn_b[32] = "";
	long taint0 = taint();

	kt("    1..4\n");
	/* of_pmem's namespaces, made fsdax before nd_pmem is there to bind them */
	ok = in_child(load_fn, "/lib/modules/of_pmem.ko", 120) == 0 && pmem_wait_namespaces(ns, 2, 120) == 2;
	ok = ok && pmem_make_fsdax(ns[0].id, pfn_a, sizeof(pfn_a)) == 0 &&
	     pmem_make_fsdax(ns[1].id, pfn_b, sizeof(pfn_b)) == 0;
	ok = ok && in_child(load_fn, "/lib/modules/nd_pmem.ko", 120) == 0 &&
	     nd_wait_bound(pfn_a, 120) && nd_wait_bound(pfn_b, 120);
	r0 = vmemmap_mapped(&t0, &f0);
	kt("    # A = namespace%d.0 [0x%llx, +%lluM) as %s, B = namespace%d.0 [0x%llx, +%lluM) as %s\n",
	   ns[0].id, ns[0].start, ns[0].size >> 20, pfn_a, ns[1].id, ns[1].start, ns[1].size >> 20, pfn_b);
	/* the pfn device's size leaves out the memmap it keeps in the device */
	ok = ok && pfn_size(pfn_a) < ns[0].size && pfn_size(pfn_b) < ns[1].size;
	kt("    # data: A %lluK, B %lluK (the rest holds the info block and the memmap)\n",
	   pfn_size(pfn_a) >> 10, pfn_size(pfn_b) >> 10);
	kt("    # vmemmap: %d mapped ranges, %lluK (boot memory %lluK); taint %ld\n", r0, t0 >> 10, f0 >> 10, taint());
	bad += kt_case(1, ok && r0 >= 2 && !new_splat(taint0), "fsdax_namespaces_memmapped");
	if (bad) {
		kt("    ok 2 memmap_pages_as_computed # SKIP no fsdax namespaces\n");
		kt("    ok 3 removal_keeps_shared_page # SKIP\n    ok 4 last_removal_frees_memmap # SKIP\n");
		return 1;
	}

	/* B's vmemmap pages that A's memmap does not touch */
	memmap_pages(ns[0].start, ns[0].start + ns[0].size, &fa, &la);
	memmap_pages(ns[1].start, ns[1].start + ns[1].size, &fb, &lb);
	excl = lb + 1 - (fb > la ? fb : la + 1);
	kt("    # vmemmap pages: A %llu-%llu, B %llu-%llu; B's own: %llu\n", fa, la, fb, lb, excl);
	ok = t0 - f0 == (lb + 1 - fa) * page;
	bad += kt_case(2, ok, "memmap_pages_as_computed");

	ok = nd_unbind(pfn_b, 60) == 0;
	ok = vmemmap_mapped(&t1, &f1) > 0 && ok;
	kt("    # B unbound: %s; vmemmap %lluK mapped (%lluK before); taint %ld\n",
	   ok ? "yes" : "no", t1 >> 10, t0 >> 10, taint());
	bad += kt_case(3, ok && t1 == t0 - excl * page && !new_splat(taint0),
		       "removal_keeps_shared_page");

	ok = nd_unbind(pfn_a, 60) == 0;
	r2 = vmemmap_mapped(&t2, &f2);
	kt("    # A unbound: %s; vmemmap %d mapped ranges, %lluK; taint %ld\n", ok ? "yes" : "no", r2, t2 >> 10, taint());
	bad += kt_case(4, ok && r2 == 1 && t2 == f0 && !new_splat(taint0),
		       "last_removal_frees_memmap");
	return bad > 0;
}

/* the whole boot is this one suite; its KTAP is printed at the end */
static int test_vmemmap_pmem(const char *scenario)
{
	char suite[48];
	int bad;

	snprintf(suite, sizeof(suite), "vmemmap_pmem_%s", scenario);
	kt("    KTAP version 1\n    # Subtest: %s\n", suite);
	/* the regions come with of_pmem, their memmaps with nd_pmem */
	if (strcmp(scenario, "altmap") &&
	    (in_child(load_fn, "/lib/modules/of_pmem.ko", 120) ||
	     in_child(load_fn, "/lib/modules/nd_pmem.ko", 120)))
		kt("    # loading of_pmem.ko and nd_pmem.ko failed\n");
	if (strcmp(scenario, "shared") == 0) {
		bad = pmem_shared();
	} else if (strcmp(scenario, "unaligned") == 0) {
		bad = pmem_unaligned();
	} else if (strcmp(scenario, "altmap") == 0) {
		bad = pmem_altmap();
	} else {
		kt("    1..0\n    # unknown mmseries.pmem=%s\n", scenario);
		bad = 1;
	}
	printf("@@KTAP-BEGIN\nKTAP version 1\n1..1\n%s%s 1 %s\n@@KTAP-END\n",
	       ktap_buf, bad ? "not ok" : "ok", suite);
	return bad;
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

/*
 * The last line, then the reboot that ends the run (QEMU has -no-reboot).
 * Wait until the console has sent every byte first: the kernel prints its
 * "reboot:" lines straight to the UART, ahead of what is still queued in the
 * tty, and would split a result line.
 */
static void finish(int fails)
{
	printf("@@DONE fails=%d\n", fails);
	ioctl(STDOUT_FILENO, TCSBRK, 1);	/* tcdrain() */
	reboot(RB_AUTOBOOT);
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
	if (opt_str("pmem", what, sizeof(what))) {
		/* a pmem boot runs nothing else */
		finish(test_vmemmap_pmem(what));
		return 0;
	}
	if (opt("kvm", 0)) {
		/* a kvm boot runs nothing else */
		printf("@@KTAP-BEGIN\nKTAP version 1\n1..1\n");
		fails = test_kvm_fpstate(1);
		printf("@@KTAP-END\n");
		finish(fails);
		return 0;
	}
	if (opt("vmbench", 0)) {
		/* a test_vmalloc bench boot runs nothing else */
		vmbench();
		finish(0);
		return 0;
	}
	if (opt("bench", 0) > 0) {
		/* a benchmark boot runs nothing else */
		bench(opt("bench", 0));
		finish(0);
		return 0;
	}
	if (opt("kunit_only", 0)) {
		/* the kernel's own KTAP is all this boot is for */
		finish(0);
		return 0;
	}
	printf("@@KTAP-BEGIN\nKTAP version 1\n1..7\n");
	fails += test_vmalloc(++nr);
	fails += test_ptdump(++nr);
	fails += test_mmap_stress(++nr);
	fails += test_memfd_secret(++nr);
	fails += test_exec(++nr);
	fails += test_kunit_rerun(++nr);
	fails += test_kvm_fpstate(++nr);
	printf("@@KTAP-END\n");
	if (opt("hotplug", 0))
		fails += hotplug_phase(1);
	finish(fails);
	return 0;
}

/* probe: what does the guest see of a pmem-region DT node (research only) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/reboot.h>

static void cat(const char *p)
{
	char buf[4096];
	int fd = open(p, O_RDONLY);
	ssize_t n;
	printf("--- %s\n", p);
	if (fd < 0) { printf("(open failed %d)\n", errno); return; }
	while ((n = read(fd, buf, sizeof(buf))) > 0) write(1, buf, n);
	close(fd);
}

static void ls(const char *p)
{
	DIR *d = opendir(p);
	struct dirent ent, *e;
	printf("--- ls %s\n", p);
	if (!d) { printf("(opendir failed %d)\n", errno); return; }
	while (readdir_r(d, &ent, &e) == 0 && e) if (e->d_name[0] != '.') printf("%s\n", e->d_name);
	closedir(d);
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	cat("/proc/cmdline");
	cat("/proc/iomem");
	ls("/sys/firmware/devicetree/base");
	ls("/sys/bus/platform/devices");
	cat("/sys/bus/platform/devices/80000000.pmem/modalias");
	ls("/sys/bus/platform/devices/80000000.pmem");
	ls("/sys/bus/platform/drivers");
	ls("/sys/firmware/acpi/tables");
	cat("/proc/sys/kernel/tainted");
	printf("PROBE DONE\n");
	reboot(RB_POWER_OFF);
	return 0;
}

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/reboot.h>
static void cat(const char *p)
{
	char buf[4096]; int fd = open(p, O_RDONLY); ssize_t n;
	printf("--- %s\n", p);
	if (fd < 0) return;
	while ((n = read(fd, buf, sizeof(buf))) > 0) write(1, buf, n);
	close(fd);
}
int main(void)
{
	DIR *d; struct dirent ent, *e; char p[256];
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	d = opendir("/sys/bus/pci/devices");
	while (d && readdir_r(d, &ent, &e) == 0 && e) {
		if (e->d_name[0] == '.') continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", e->d_name); cat(p);
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/resource", e->d_name); cat(p);
	}
	cat("/proc/iomem");
	printf("PCI DONE\n");
	reboot(RB_POWER_OFF);
	return 0;
}

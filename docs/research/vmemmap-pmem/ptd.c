#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
static char buf[1 << 22];
int main(void)
{
	int fd; ssize_t n, tot = 0; char *s, *e;
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	fd = open("/sys/kernel/debug/kernel_page_tables", O_RDONLY);
	if (fd < 0) { printf("open failed %d\n", errno); goto out; }
	while ((n = read(fd, buf + tot, sizeof(buf) - 1 - tot)) > 0) tot += n;
	buf[tot] = 0;
	printf("read %ld bytes\n", (long)tot);
	s = strstr(buf, "vmemmap start");
	e = s ? strstr(s, "vmemmap end") : NULL;
	if (s && e) { s -= 4; e += 16; write(1, s, e - s); }
out:
	printf("\nPTD DONE\n");
	reboot(RB_POWER_OFF);
	return 0;
}

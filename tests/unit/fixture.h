/* Build small fake /proc trees in a temporary directory for the scanner,
 * the selector and the CLI. Test-only; header-only so every test binary can
 * use it without another library. */
#pragma once

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse/config.h"

struct fake_proc {
	int pid;
	const char *comm;
	unsigned long rss_kib, swap_kib, pte_kib;
	int adj;
	unsigned flags;		/* 0x00200000 = PF_KTHREAD */
	unsigned uid;
	char state;		/* 0 means 'S' */
	const char *cmdline;	/* NULL: comm; spaces become NULs */
	const char *cgroup;	/* NULL: "/user.slice" */
	unsigned long long starttime;	/* 0: pid * 10 */
};

static inline void fixture_write(const char *dir, const char *name, const char *data, size_t len)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0, "cannot create %s", path);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Writes in place (O_TRUNC, not a rename), so a daemon that keeps the file
 * open reads the new text. */
static inline void fixture_puts(const char *dir, const char *name, const char *text)
{
	fixture_write(dir, name, text, strlen(text));
}

/* Read the whole file at path into buf (NUL-terminated, cut to size).
 * Returns buf, or NULL when the file cannot be opened. */
static inline char *fixture_read(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* What the code under test logs, caught: stderr goes to a file until
 * fixture_capture_end() reads it back into buf. One capture at a time. */
static int fixture_saved_stderr = -1;
static char fixture_capture_path[64];

static inline void fixture_capture_start(void)
{
	int fd;

	snprintf(fixture_capture_path, sizeof(fixture_capture_path), "/tmp/oomguard-log-XXXXXX");
	fd = mkstemp(fixture_capture_path);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	fixture_saved_stderr = dup(STDERR_FILENO);
	cr_assert_geq(fixture_saved_stderr, 0);
	cr_assert_geq(dup2(fd, STDERR_FILENO), 0);
	close(fd);
}

static inline char *fixture_capture_end(char *buf, size_t size)
{
	fflush(stderr);
	cr_assert_geq(dup2(fixture_saved_stderr, STDERR_FILENO), 0);
	close(fixture_saved_stderr);
	fixture_saved_stderr = -1;
	cr_assert_not_null(fixture_read(fixture_capture_path, buf, size));
	unlink(fixture_capture_path);
	return buf;
}

/* A new tree with a meminfo of the given sizes (KiB). Returns its path,
 * which the caller frees with fixture_destroy(). */
static inline char *fixture_create(unsigned long mem_total, unsigned long mem_avail,
				   unsigned long swap_total, unsigned long swap_free)
{
	char *root = strdup("/tmp/oomguard-fixture-XXXXXX");
	char meminfo[512];

	cr_assert_not_null(mkdtemp(root));
	snprintf(meminfo, sizeof(meminfo),
		 "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
		 "AnonPages:      %8lu kB\nSwapTotal:      %8lu kB\nSwapFree:       %8lu kB\n",
		 mem_total, mem_avail / 2, mem_avail, mem_total - mem_avail, swap_total, swap_free);
	fixture_puts(root, "meminfo", meminfo);
	return root;
}

static inline void fixture_add(const char *root, const struct fake_proc *fp)
{
	char dir[1024], buf[2048], cmd[1024];
	size_t len;
	int n;

	snprintf(dir, sizeof(dir), "%s/%d", root, fp->pid);
	cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s", dir);
	/* Fields 1..22 and a few after, in the kernel's layout. */
	snprintf(buf, sizeof(buf),
		 "%d (%s) %c 1 %d %d 0 -1 %u 100 0 0 0 5 3 0 0 20 0 1 0 %llu 10485760 %lu "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		 fp->pid, fp->comm, fp->state ? fp->state : 'S', fp->pid, fp->pid, fp->flags,
		 fp->starttime ? fp->starttime : (unsigned long long)fp->pid * 10, fp->rss_kib / 4);
	fixture_puts(dir, "stat", buf);
	snprintf(buf, sizeof(buf), "%d\n", fp->adj);
	fixture_puts(dir, "oom_score_adj", buf);
	if (fp->flags & 0x00200000u || fp->state == 'Z') {
		/* Kernel threads and zombies: no Vm* lines. */
		snprintf(buf, sizeof(buf), "Name:\t%s\nState:\t%c\nPid:\t%d\nUid:\t%u\t%u\t%u\t%u\n",
			 fp->comm, fp->state ? fp->state : 'S', fp->pid, fp->uid, fp->uid, fp->uid, fp->uid);
	} else {
		snprintf(buf, sizeof(buf),
			 "Name:\t%s\nState:\tS (sleeping)\nPid:\t%d\nUid:\t%u\t%u\t%u\t%u\n"
			 "Gid:\t0\t0\t0\t0\nVmPeak:\t %8lu kB\nVmSize:\t %8lu kB\nVmRSS:\t %8lu kB\n"
			 "RssAnon:\t %8lu kB\nVmPTE:\t %8lu kB\nVmSwap:\t %8lu kB\nThreads:\t1\n",
			 fp->comm, fp->pid, fp->uid, fp->uid, fp->uid, fp->uid,
			 fp->rss_kib * 2, fp->rss_kib * 2, fp->rss_kib, fp->rss_kib, fp->pte_kib,
			 fp->swap_kib);
	}
	fixture_puts(dir, "status", buf);
	n = snprintf(cmd, sizeof(cmd), "%s", fp->cmdline ? fp->cmdline : fp->comm);
	len = (size_t)n + 1;
	for (int i = 0; i < n; i++)
		if (cmd[i] == ' ')
			cmd[i] = '\0';
	fixture_write(dir, "cmdline", cmd, len);
	snprintf(buf, sizeof(buf), "0::%s\n", fp->cgroup ? fp->cgroup : "/user.slice");
	fixture_puts(dir, "cgroup", buf);
}

static inline void fixture_destroy(char *root)
{
	char cmd[1100];

	/* The root is our own mkdtemp directory under /tmp. */
	cr_assert(strncmp(root, "/tmp/oomguard-fixture-", 22) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_expect_eq(system(cmd), 0);
	free(root);
}

/* A config parsed from flags, as the daemon would get it:
 * struct config cfg = CFG("-m", "5",); ... config_free(&cfg); */
static inline struct config fixture_config(const char *const *args)
{
	struct config cfg;
	char err[256];
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"oomguard";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	cr_assert_eq(config_parse(&cfg, argc, argv, err, sizeof(err)), 0, "%s", err);
	return cfg;
}

#define CFG(...) fixture_config((const char *const[]){ __VA_ARGS__ NULL })

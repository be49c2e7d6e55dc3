/* oomguard: glue. argv -> config, signals, the loop. The only file that exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "procfs.h"
#include "version.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	/* No SA_RESTART: the loop's poll() returns at once and sees the flag. */
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct procfs procfs = PROCFS_INIT;
	struct config cfg;
	char err[256];
	int r;

	if (config_parse(&cfg, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "oomguard: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	if (cfg.action == CONFIG_HELP) {
		fputs(config_usage, stdout);
		config_free(&cfg);
		return 0;
	}
	if (cfg.action == CONFIG_VERSION) {
		printf("oomguard %s\n", OOMGUARD_VERSION);
		config_free(&cfg);
		return 0;
	}
	r = procfs_open(&procfs, cfg.procfs_path);
	if (r < 0) {
		fprintf(stderr, "oomguard: --procfs: cannot open '%s': %s\n", cfg.procfs_path, strerror(-r));
		config_free(&cfg);
		return 2;
	}

	if (faccessat(procfs.root_fd, "meminfo", R_OK, 0) < 0) {
		fprintf(stderr, "oomguard: --procfs: no readable meminfo in '%s': %s\n",
			cfg.procfs_path, strerror(errno));
		procfs_close(&procfs);
		config_free(&cfg);
		return 2;
	}

	log_setup(cfg.debug, false);
	if (cfg.action == CONFIG_LIST) {
		r = list_print(stdout, &cfg, &procfs);
		if (r < 0)
			fprintf(stderr, "oomguard: --list: %s\n", strerror(-r));
		procfs_close(&procfs);
		config_free(&cfg);
		return r < 0 ? 1 : 0;
	}
	install_signals();
	r = loop_run(&cfg, &procfs, &stop_requested);

	procfs_close(&procfs);
	config_free(&cfg);
	return r < 0 ? 1 : 0;
}

/* The warning before a kill, end to end: the daemon with --dryrun on a copy
 * of the lowmem fixture whose meminfo sits between the warning level and the
 * term floor. The only processes signalled are the oomguard children
 * started here. */
#include <sys/stat.h>

#include "run.h"
#include "../unit/fixture.h"

static struct run_result res;

/* Replace the value of key in DIR/meminfo, keeping the kernel's layout. */
static void set_meminfo(const char *dir, const char *key, unsigned long kib)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "sed -i 's/^%s: *[0-9]* kB$/%s:%*lu kB/' '%s/meminfo'", key, key,
		 (int)(15 - strlen(key) + 1), kib, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static int count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* MemAvailable 270000 of a base of 1770000 KiB (15.25 %: term floor 10 %,
 * warning level 20 %) and SwapFree 150000 of 1048572 (14.31 %: 10 % and
 * 20 %): no kill is due, a warning is. */
Test(warning, logs_one_warning_naming_the_victim_and_runs_the_hook)
{
	char *dir = copy_fixture("lowmem"), hook[1100], out[1100], buf[65536], env[8192];
	char script[4096];
	FILE *err;
	pid_t pid;

	set_meminfo(dir, "MemAvailable", 270000);
	set_meminfo(dir, "AnonPages", 1500000);
	set_meminfo(dir, "SwapFree", 150000);
	snprintf(hook, sizeof(hook), "%s/warn.sh", dir);
	snprintf(out, sizeof(out), "%s/warn.env", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\nenv > '%s.part' && mv '%s.part' '%s'\n", out,
		 out, out);
	fixture_puts(dir, "warn.sh", script);
	cr_assert_eq(chmod(hook, 0755), 0);
	pid = spawn_oomguard(&err, NULL, (const char *const[]){ "--dryrun", "-r", "0", "--procfs", dir,
					"--warn-hook", hook, NULL });
	for (int i = 0; i < 500 && access(out, F_OK) != 0; i++)
		usleep(10000);
	/* Many more ticks (tens a second this close to the floors). */
	usleep(1500000);
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit_ms(pid, 3000), 0);
	read_stream(err, buf, sizeof(buf));
	fclose(err);

	cr_expect_eq(count(buf, "memory is running out"), 1, "%s", buf);
	cr_expect(strstr(buf, "memory is running out: reason=warn-memory MemAvailable 15.25% "
			 "(270000 KiB) <= warning level 20.00% (354000 KiB) and SwapFree 14.30% "
			 "(150000 KiB) <= 19.99% (209714 KiB); would kill first pid=4242 "
			 "name=\"leaky app\" uid=1000 ") != NULL, "%s", buf);
	cr_expect(strstr(buf, "would kill pid=") == NULL, "no kill is due:\n%s", buf);
	cr_assert_not_null(fixture_read(out, env, sizeof(env)), "hook did not run: %s", buf);
	cr_expect(strstr(env, "OOMGUARD_EVENT=warning\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_REASON=warn-memory\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_PID=4242\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_NAME=leaky app\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_SIGNAL=\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_MEM_TOTAL_KIB=2015232\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_MEM_AVAILABLE_KIB=270000\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_SWAP_TOTAL_KIB=1048572\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_SWAP_FREE_KIB=150000\n") != NULL, "%s", env);
	cr_expect(strstr(env, "OOMGUARD_PSI_FULL=") != NULL, "%s", env);
	fixture_destroy(dir);
}

Test(warning, plenty_of_memory_is_no_warning)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "nothing to do") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "memory is running out") == NULL, "%s", res.err);
}

Test(warning, a_level_at_the_term_floor_is_one_line_and_exit_1)
{
	RUN(&res, "--dryrun", "--once", "--warn-mem", "10", "--procfs", fixture("plenty"));
	cr_expect_neq(res.status, 0);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, "--warn-mem: 10.00% is not above the term floor") != NULL, "%s",
		  res.err);
}

/* Start-up says what the warning will be, as it says the floors. */
Test(warning, start_up_says_the_levels)
{
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("plenty"));
	cr_expect(strstr(res.err, "warning before a kill: MemAvailable at twice the term floor and "
			 "SwapFree at twice the term floor; PSI full stall at 10.00% for 1.0 s") != NULL,
		  "%s", res.err);
	RUN(&res, "--dryrun", "--once", "--warn-mem", "30", "--warn-psi", "0", "--procfs",
	    fixture("plenty"));
	cr_expect(strstr(res.err, "warning before a kill: MemAvailable at 30.00% and SwapFree at "
			 "twice the term floor; no pressure warning") != NULL, "%s", res.err);
	RUN(&res, "--dryrun", "--once", "--warn-mem", "0", "--warn-psi", "0", "--procfs",
	    fixture("plenty"));
	cr_expect(strstr(res.err, "warning before a kill: off") != NULL, "%s", res.err);
}

/* --history and --json as a user meets them: the table and the JSON lines
 * of a fixture state directory (two boots, both ring files, a hostile name,
 * a kill without outcome, a line cut by a crash), no history, an unusable
 * directory, --json alone; --dryrun writes nothing; and a real kill inside a
 * private pid namespace, read back with --history. */
#include <errno.h>
#include <sys/stat.h>

#include "run.h"

static struct run_result res;

Test(history_cli, json_without_history_is_refused)
{
	RUN(&res, "--json");
	cr_expect_eq(res.status, 2, "%s", res.err);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, "oomguard: --json: only with --history") == res.err, "%s", res.err);
	cr_expect_str_empty(res.out);
}

/* Local dates: the fixture's times are UTC, and TZ says two hours east. */
Test(history_cli, the_table_is_oldest_first_with_local_dates_and_boots_marked)
{
	char expect[512];
	const char *a, *b, *c;

	setenv("TZ", "XST-2", 1);
	RUN(&res, "--history", "--state-dir", fixture("history-basic/state"), "--procfs",
	    fixture("history-basic/proc"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.out, "2024-05-01 14:34:56  kill          4242 leaky app        "
			 "app.service              floor-term SIGTERM killed      1834000\n"
			 "    SIGTERM; exited after 140 ms; 1791 MiB given back\n"
			 "    top    4242 leaky app        rss_kib=1834000 swap_kib=2048\n"
			 "    top     900 postgres         rss_kib=120000 swap_kib=0\n") != NULL,
		  "%s", res.out);
	cr_expect(strstr(res.out, "-- earlier boot 0b2c5e1a-1111-4c55-9d1f-2b0e9f6c7a41 --\n") != NULL,
		  "%s", res.out);
	cr_expect(strstr(res.out, "-- this boot fea8436b-71f9-46c2-beb4-07ba11b3aabc --\n") != NULL,
		  "%s", res.out);
	/* A name and a unit chosen by a process reach the terminal escaped. */
	cr_expect(strstr(res.out, " ev\\x22il\\x5c\\x0a\\x1b[31m\\xff x\\x0ay.scope ") != NULL, "%s",
		  res.out);
	cr_expect(strchr(res.out, '\x1b') == NULL, "a raw escape reached the terminal");
	cr_expect(strstr(res.out, "pressure   SIGTERM unknown      900000\n    no outcome recorded: "
			 "oomguard or the machine stopped first\n") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "kernel-oom       - 1 kill           (global)") != NULL, "%s",
		  res.out);
	cr_expect(strstr(res.out, "top    6100 java             rss_kib=1500000 swap_kib=0  (gone "
			 "since: a likely victim)\n") != NULL, "%s", res.out);
	/* history.1 is the older file here: its entries come first. */
	a = strstr(res.out, "leaky app");
	b = strstr(res.out, "java");
	c = strstr(res.out, "stress");
	cr_expect(a && b && c && a < b && b < c, "%s", res.out);
	snprintf(expect, sizeof(expect),
		 "oomguard: --history: 1 malformed line skipped in %s/history.0.jsonl\n",
		 fixture("history-basic/state"));
	cr_expect_str_eq(res.err, expect);
	unsetenv("TZ");
}

Test(history_cli, json_is_one_object_an_entry_with_its_outcome)
{
	const char *line = res.out;
	static const char *const first[] = {
		"{\"time\":\"2024-05-01T12:34:56.789Z\",\"boot\":\"0b2c5e1a-1111-4c55-9d1f-2b0e9f6c7a41\","
		"\"seq\":1,\"event\":\"kill\",\"pid\":4242,\"name\":\"leaky app\",",
		"{\"time\":\"2024-05-01T13:00:00.000Z\",\"boot\":\"0b2c5e1a-1111-4c55-9d1f-2b0e9f6c7a41\","
		"\"seq\":3,\"event\":\"kill\",\"pid\":5000,\"name\":\"ev\\\"il\\\\\\u000a\\u001b[31m\\u00ff\",",
		"{\"time\":\"2024-05-02T08:00:00.000Z\",\"boot\":\"fea8436b-71f9-46c2-beb4-07ba11b3aabc\","
		"\"seq\":4,\"event\":\"kernel-oom\",\"kills\":1,",
		"{\"time\":\"2024-05-02T09:00:00.000Z\",\"boot\":\"fea8436b-71f9-46c2-beb4-07ba11b3aabc\","
		"\"seq\":5,\"event\":\"kill\",\"pid\":7000,",
	};

	RUN(&res, "--history", "--json", "--state-dir", fixture("history-basic/state"));
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_assert_eq(count_lines(res.out), 4, "%s", res.out);
	for (int i = 0; i < 4; i++, line = strchr(line, '\n') + 1)
		cr_expect(strncmp(line, first[i], strlen(first[i])) == 0, "entry %d:\n%.300s", i, line);
	cr_expect(strstr(res.out, "\"swap_kib\":2048,\"reason\":\"floor-term\",") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "\"signal\":\"SIGTERM\",") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "\"top\":[{\"pid\":4242,\"name\":\"leaky app\",\"rss_kib\":1834000,"
			 "\"swap_kib\":2048},{\"pid\":900,") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "],\"outcome\":\"killed\",\"last_signal\":\"SIGTERM\",\"exited_ms\":140,"
			 "\"released\":false,\"gained_kib\":1835000}\n") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "\"outcome\":\"unknown\"}\n") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "\"event\":\"outcome\"") == NULL, "merged, not printed: %s", res.out);
	cr_expect(strstr(res.err, "1 malformed line skipped") != NULL, "%s", res.err);
}

Test(history_cli, no_history_says_so_and_exits_0)
{
	RUN(&res, "--history", "--state-dir", "/tmp/oomguard-test-no-such-state-dir");
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect_str_eq(res.out, "no history in /tmp/oomguard-test-no-such-state-dir: oomguard has "
				  "recorded nothing there\n");
	cr_expect_str_empty(res.err);
}

Test(history_cli, an_unusable_directory_is_one_line_and_exit_1)
{
	const char *file = fixture("history-basic/proc/sys/kernel/random/boot_id");

	RUN(&res, "--history", "--state-dir", file);
	cr_expect_eq(res.status, 1, "%s", res.err);
	cr_expect_eq(count_lines(res.err), 1, "%s", res.err);
	cr_expect(strstr(res.err, "oomguard: --history: ") == res.err &&
		  strstr(res.err, "Not a directory") != NULL, "%s", res.err);
	cr_expect_str_empty(res.out);
}

/* README's first command runs --dryrun as root on a fresh machine: no
 * /var/lib/oomguard may appear. */
Test(history_cli, dryrun_writes_nothing)
{
	char dir[] = "/tmp/oomguard-dryrun-XXXXXX", state[64];
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(state, sizeof(state), "%s/state", dir);
	RUN(&res, "--dryrun", "--once", "--procfs", fixture("lowmem"), "--state-dir", state);
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "would kill pid=4242") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "dry run: no kill history is written") != NULL, "%s", res.err);
	cr_expect_eq(stat(state, &st), -1, "%s was created", state);
	cr_expect_eq(errno, ENOENT);
	rmdir(dir);
}

/* A real kill, inside a private pid and mount namespace with its own /proc,
 * where oomguard sees and can signal only this test's processes: a sleep
 * with oom_score_adj 1000 (the shell is --ignore'd, and the child is waited
 * for until it is sleep: before its exec it is a shell too), and a term floor just
 * below MemTotal with any swap, so that the one tick acts whatever the
 * machine's memory. --history then shows the kill, its reason and the top
 * users, read from a state directory under /tmp. */
Test(history_cli, a_real_kill_is_in_the_history)
{
	char dir[] = "/tmp/oomguard-history-kill-XXXXXX", cmd[2048], state[64];
	unsigned long long mem_total = 0;
	const char *bin = getenv("OOMGUARD_BIN");
	FILE *f;

	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		cr_skip_test("needs root and unshare for a private pid namespace");
	f = fopen("/proc/meminfo", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "MemTotal: %llu kB", &mem_total), 1);
	fclose(f);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(cmd, sizeof(cmd),
		 "unshare --pid --fork --mount --mount-proc sh -c 'sleep 60 & p=$!; "
		 "until grep -qx sleep /proc/$p/comm; do :; done; "
		 "echo 1000 > /proc/$p/oom_score_adj; %s --once -M %llu -s 100 --psi-threshold 0 "
		 "--ignore \"^sh$\" --kill-timeout 1 --state-dir %s 2>&1; echo exit=$?' 2>&1",
		 bin, mem_total - 1, state);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	res.err[fread(res.err, 1, sizeof(res.err) - 1, f)] = '\0';
	cr_expect_eq(pclose(f), 0);
	cr_expect(strstr(res.err, "exit=0") != NULL, "%s", res.err);
	cr_expect(strstr(res.err, "killed pid=2 name=\"sleep\"") != NULL, "%s", res.err);

	RUN(&res, "--history", "--state-dir", state);
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.out, "-- this boot ") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "  kill             2 sleep            -                        "
			 "floor-term SIGTERM killed ") != NULL, "%s", res.out);
	cr_expect(strstr(res.out, "\n    top       2 sleep            rss_kib=") != NULL, "%s",
		  res.out);
	cr_expect(strstr(res.out, "\n    top       1 sh               rss_kib=") != NULL, "%s",
		  res.out);
	cr_expect(strstr(res.out, "; exited after ") != NULL, "%s", res.out);
	RUN(&res, "--history", "--json", "--state-dir", state);
	cr_expect(strstr(res.out, "\"event\":\"kill\",\"pid\":2,\"name\":\"sleep\",\"uid\":0,") != NULL,
		  "%s", res.out);
	cr_expect(strstr(res.out, "\"reason\":\"floor-term\",\"trigger\":\"MemAvailable ") != NULL,
		  "%s", res.out);
	cr_expect(strstr(res.out, "\"outcome\":\"killed\",\"last_signal\":\"SIGTERM\"") != NULL, "%s",
		  res.out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

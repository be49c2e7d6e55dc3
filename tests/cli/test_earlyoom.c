/* earlyoom's own command-line cases, run against oomguard.
 *
 * Every case of earlyoom's CLI test (testsuite_cli_test.go, TestCli) and
 * of its tuple-parser test (testsuite_unit_test.go, TestParseTuple), and
 * the edge cases its code and documentation imply, with the flags as an
 * earlyoom user would have them in EARLYOOM_ARGS. Each runs oomguard with
 * --dryrun --once on the fixture tree tests/fixtures/vps (a 512 MiB VPS
 * with 512 MiB of swap, idle): nothing can be killed. Each row says what
 * earlyoom does (runs or refuses to start), what oomguard does, the floors
 * oomguard's start-up line must show, the warning it must print first,
 * or the one-line refusal. Where the two differ, the row says why; a row
 * that differs without a reason fails.
 *
 * Figures of the fixture: MemTotal 500116 KiB, so earlyoom's "M1"
 * (MemTotal/100) is 5001; SwapTotal 524284 KiB, so "S2" (SwapTotal*2/100)
 * is 10485. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

static struct run_result res;

enum outcome { RUNS, REFUSED };

struct eo_case {
	const char *where;		/* where earlyoom has the case */
	const char *args[7];
	enum outcome earlyoom, oomguard;
	/* RUNS: the start-up line's floors (NULL: the defaults) and a warning
	 * printed before it (NULL: none at all); REFUSED: part of the line. */
	const char *mem, *swap, *warning;
	const char *expect;		/* also on stderr (the policy line, a refusal) */
	const char *differs;		/* why oomguard deliberately differs */
	bool own_dryrun;		/* the case gives --dryrun itself */
};

#define DEF_MEM "MemAvailable <= 10.00%/5.00% of available+anon"
#define DEF_SWAP "SwapFree <= 10.00%/5.00%;"
#define MEM(x) "MemAvailable <= " x " of available+anon"
#define MEM_KIB(x) "MemAvailable <= " x " KiB and"
#define SWAP(x) "SwapFree <= " x ";"

#define NUMBERS_ARE_DECIMALS "percentages are plain decimals: strtod's '+', hex, exponents, " \
	"spaces, inf and nan are refused (nan would be a floor that never triggers)"
#define SIZES_STAY_SIZES "a size floor stays that many KiB of MemAvailable (SwapFree); " \
	"earlyoom turns it into a percentage of MemTotal (SwapTotal) at start-up and shows that"
#define GARBAGE_IS_REFUSED "-r with garbage is refused; earlyoom reads what strtof can and " \
	"ignores the rest (abc: reports off, 5x: 5 s)"

static const struct eo_case cases[] = {
	/* testsuite_cli_test.go, TestCli */
	{ .where = "cli_test:85", .args = { NULL }, .earlyoom = RUNS, .oomguard = RUNS },
	{ .where = "cli_test:86", .args = { "-p" }, .earlyoom = RUNS, .oomguard = RUNS },
	{ .where = "cli_test:88", .args = { "-d" }, .earlyoom = RUNS, .oomguard = RUNS },
	{ .where = "cli_test:89", .args = { "-m", "1" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("1.00%/0.50%") },
	{ .where = "cli_test:90", .args = { "-m", "0" }, .earlyoom = REFUSED, .oomguard = REFUSED,
	  .expect = "both levels are 0" },
	{ .where = "cli_test:91", .args = { "-m", "-10" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value" },
	{ .where = "cli_test:93", .args = { "-m", "100" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "would act on an idle machine" },
	{ .where = "cli_test:94", .args = { "-s", "2" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("2.00%/1.00%") },
	{ .where = "cli_test:96", .args = { "-s", "100" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("100.00%/50.00%") },
	{ .where = "cli_test:97", .args = { "-s", "101" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--swap-min" },
	{ .where = "cli_test:98", .args = { "-s", "0" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "both levels are 0" },
	{ .where = "cli_test:99", .args = { "-s", "-10" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value" },
	{ .where = "cli_test:100", .args = { "-M", "5001" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM_KIB("5001/2500"),
	  .differs = SIZES_STAY_SIZES },
	{ .where = "cli_test:101", .args = { "-M", "9999999999999999" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "too large" },
	{ .where = "cli_test:103", .args = { "-r=0" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "-r=0 read as -r 0",
	  .differs = "the extra warning: earlyoom reads '=0' as 0 by luck, and '=5' as 0 too" },
	{ .where = "cli_test:104", .args = { "-r", "0.1" }, .earlyoom = RUNS, .oomguard = RUNS },
	{ .where = "cli_test:106", .args = { "--avoid", "MyProcess1" }, .earlyoom = RUNS, .oomguard = RUNS, .expect = "avoid name 'MyProcess1'" },
	{ .where = "cli_test:107", .args = { "--prefer", "MyProcess2" }, .earlyoom = RUNS, .oomguard = RUNS, .expect = "prefer name 'MyProcess2'" },
	{ .where = "cli_test:108", .args = { "--ignore-root-user" }, .earlyoom = RUNS, .oomguard = RUNS, .expect = "never uid 0" },
	{ .where = "cli_test:109", .args = { "--sort-by-rss" }, .earlyoom = RUNS, .oomguard = RUNS, .expect = "ranked by RSS + swap" },
	{ .where = "cli_test:110", .args = { "-i" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "-i is ignored" },
	{ .where = "cli_test:112", .args = { "xyz" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "unexpected argument 'xyz'" },
	{ .where = "cli_test:113", .args = { "-i", "1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "unexpected argument '1'" },
	{ .where = "cli_test:115", .args = { "-m", "2,1" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("2.00%/1.00%") },
	{ .where = "cli_test:116", .args = { "-m", "1,2" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("2.00%/2.00%"),
	  .warning = "both set to 2.00%" },
	{ .where = "cli_test:117", .args = { "-m", "1,-1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "kill level '-1'" },
	{ .where = "cli_test:118", .args = { "-m", "1000,-1000" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'1000'" },
	{ .where = "cli_test:119", .args = { "-s", "2,1" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("2.00%/1.00%") },
	{ .where = "cli_test:120", .args = { "-s", "1,2" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("2.00%/2.00%"),
	  .warning = "both set to 2.00%" },
	{ .where = "cli_test:122", .args = { "-m", "5,0" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("5.00%/0.00%") },
	{ .where = "cli_test:123", .args = { "-m", "5,9" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("9.00%/9.00%"),
	  .warning = "both set to 9.00%" },
	{ .where = "cli_test:125", .args = { "-M", "-1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value" },
	{ .where = "cli_test:126", .args = { "-M", "2147483648" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "not below MemTotal" },
	{ .where = "cli_test:127", .args = { "-M", "4294967296" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "not below MemTotal" },
	{ .where = "cli_test:128", .args = { "-m", "-1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value" },
	{ .where = "cli_test:129", .args = { "-m", "2147483648" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--mem-min" },
	{ .where = "cli_test:130", .args = { "-m", "4294967296" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--mem-min" },
	{ .where = "cli_test:131", .args = { "-S", "-1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value" },
	{ .where = "cli_test:132", .args = { "-S", "2147483648" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "not below SwapTotal" },
	{ .where = "cli_test:133", .args = { "-S", "4294967296" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "not below SwapTotal" },
	{ .where = "cli_test:134", .args = { "-s", "-1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value" },
	{ .where = "cli_test:135", .args = { "-s", "2147483648" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--swap-min" },
	{ .where = "cli_test:136", .args = { "-s", "4294967296" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--swap-min" },
	{ .where = "cli_test:138", .args = { "-m", "3.14" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("3.14%/1.57%") },
	{ .where = "cli_test:139", .args = { "-m", "7,3.14" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("7.00%/3.14%") },
	{ .where = "cli_test:140", .args = { "-s", "12.34" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("12.34%/6.17%") },
	{ .where = "cli_test:142", .args = { "-m", "10", "-M", "5001" }, .earlyoom = RUNS, .oomguard = RUNS,
	  .mem = "MemAvailable <= min(10.00%, 5001 KiB)/min(5.00%, 2500 KiB)", .differs = SIZES_STAY_SIZES },
	{ .where = "cli_test:144", .args = { "--kernel-oom" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "the same oom_badness",
	  .expect = "victims ranked by the kernel's oom_score",
	  .differs = "no sysrq: oomguard kills the kernel's pick itself, records it and runs the "
		     "hooks (earlyoom runs none in this mode)" },
	{ .where = "cli_test:145", .args = { "--kernel-oom", "--dryrun" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "the same oom_badness",
	  .expect = "dry run: no signal will be sent", .own_dryrun = true },
	{ .where = "cli_test:150", .args = { "-S", "10485" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = "SwapFree <= 10485/5242 KiB;",
	  .differs = SIZES_STAY_SIZES },
	{ .where = "cli_test:152", .args = { "-s", "10", "-S", "10485" }, .earlyoom = RUNS, .oomguard = RUNS,
	  .swap = "SwapFree <= min(10.00%, 10485 KiB)/min(5.00%, 5242 KiB);", .differs = SIZES_STAY_SIZES },

	/* testsuite_unit_test.go, TestParseTuple, through -s (its limit is
	 * 100, as in those cases); "30" with limit 20 has no flag to stand
	 * for it: -m 100 and -s 101 above are the limit cases. */
	{ .where = "unit_test:28", .args = { "-s", "2,1" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("2.00%/1.00%") },
	{ .where = "unit_test:29", .args = { "-s", "20,10" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("20.00%/10.00%") },
	{ .where = "unit_test:30", .args = { "-s", "30" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("30.00%/15.00%") },
	{ .where = "unit_test:33", .args = { "-s", "22[,20]" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'22['" },
	{ .where = "unit_test:34", .args = { "-s", "220[,160]" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--swap-min" },
	{ .where = "unit_test:35", .args = { "-s", "180[,170]" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--swap-min" },
	{ .where = "unit_test:36", .args = { "-s", "5,0" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("5.00%/0.00%") },
	{ .where = "unit_test:37", .args = { "-s", "5,9" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("9.00%/9.00%"),
	  .warning = "both set to 9.00%" },
	{ .where = "unit_test:38", .args = { "-s", "0,5" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("5.00%/5.00%"),
	  .warning = "both set to 5.00%" },
	{ .where = "unit_test:40", .args = { "-s", "4,5" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("5.00%/5.00%"),
	  .warning = "both set to 5.00%" },
	{ .where = "unit_test:41", .args = { "-s", "0" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "both levels are 0" },
	{ .where = "unit_test:42", .args = { "-s", "0,0" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "both levels are 0" },
	{ .where = "unit_test:44", .args = { "-s", "4.0,2.0" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("4.00%/2.00%") },
	{ .where = "unit_test:45", .args = { "-s", "4,0,2,0" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--swap-min" },
	{ .where = "unit_test:46", .args = { "-s", "3.1415,2.7182" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("3.14%/2.72%"),
	  .warning = "3.1415 rounded to 3.14",
	  .differs = "floors keep hundredths of a percent: more decimals are rounded, with a warning "
		     "(earlyoom shows two decimals and compares with all of them)" },
	{ .where = "unit_test:47", .args = { "-s", "3.1415" }, .earlyoom = RUNS, .oomguard = RUNS, .swap = SWAP("3.14%/1.57%"),
	  .warning = "rounded to 3.14", .differs = "hundredths, as the row above" },
	{ .where = "unit_test:48", .args = { "-s", "1.123123123123123123123123123123123123123123123123123123123123123"
			   "123123123123123123123123123123123123123123123123123123123123123123"
			   "123123123123123123123123123123123123123123123123123123123123123123"
			   "123123123123123123123123123123123123123123123123123123123123123123"
			   "12312312312312312312312312312312312" }, .earlyoom = REFUSED, .oomguard = REFUSED,
	  .expect = "--swap-min" },
	{ .where = "unit_test:50", .args = { "-s", "x1,x2" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'x1'" },
	{ .where = "unit_test:51", .args = { "-s", "1,x2" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'x2'" },
	{ .where = "unit_test:53", .args = { "-s", "1x,2x" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'1x'" },
	{ .where = "unit_test:54", .args = { "-s", "1.1." }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'1.1.'" },
	{ .where = "unit_test:55", .args = { "-s", "1,2.." }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'2..'" },

	/* What earlyoom's code and documentation imply beyond its tests. */
	{ .where = "msg.c:178 empty part", .args = { "-m", ",5" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("5.00%/5.00%"),
	  .warning = "both set to 5.00%" },
	{ .where = "msg.c:178 empty part", .args = { "-m", "5," }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("5.00%/0.00%") },
	{ .where = "msg.c:211", .args = { "-m", "," }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "both levels are 0" },
	{ .where = "msg.c:178 one comma", .args = { "-m", "5,2,1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'2,1'" },
	{ .where = "msg.c:136", .args = { "-m", "5x" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'5x'" },
	{ .where = "msg.c:136", .args = { "-m", "5 " }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--mem-min" },
	{ .where = "msg.c:136", .args = { "-m", " 5" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "--mem-min",
	  .differs = NUMBERS_ARE_DECIMALS },
	{ .where = "msg.c:136", .args = { "-m", "+5" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "'+5'", .differs = NUMBERS_ARE_DECIMALS },
	{ .where = "msg.c:136", .args = { "-m", "0x0A" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "'0x0A'", .differs = NUMBERS_ARE_DECIMALS },
	{ .where = "msg.c:136", .args = { "-m", "1e1" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "'1e1'", .differs = NUMBERS_ARE_DECIMALS },
	{ .where = "msg.c:136", .args = { "-m", "nan" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "'nan'", .differs = NUMBERS_ARE_DECIMALS },
	{ .where = "msg.c:136", .args = { "-m", "inf" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "'inf'" },
	{ .where = "main.c:219", .args = { "-m", "99" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("99.00%/49.50%") },
	{ .where = "main.c:219", .args = { "-m", "99.5" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "would act on an idle machine" },
	{ .where = "main.c:219", .args = { "-m", "99.0001" }, .earlyoom = REFUSED, .oomguard = RUNS, .mem = MEM("99.00%/49.50%"),
	  .warning = "rounded to 99.00",
	  .differs = "rounded to hundredths first, and 99.00 is allowed" },
	{ .where = "main.c:219", .args = { "-m", "10.123456789" }, .earlyoom = RUNS, .oomguard = RUNS, .mem = MEM("10.12%/5.06%"),
	  .warning = "rounded to 10.12", .differs = "hundredths, as unit_test:46" },
	{ .where = "main.c:237", .args = { "-M", "0" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "both levels are 0" },
	{ .where = "main.c:238 MemTotal*100/99", .args = { "-M", "505167" }, .earlyoom = RUNS, .oomguard = REFUSED,
	  .expect = "not below MemTotal (500116 KiB), so it would act on an idle machine",
	  .differs = "a memory floor at MemTotal or above kills on an idle machine; earlyoom "
		     "allows up to 101 % of MemTotal" },
	{ .where = "main.c:238 bytes for KiB", .args = { "-M", "268435456" }, .earlyoom = REFUSED, .oomguard = REFUSED,
	  .expect = "if 268435456 was meant as bytes, that is 262144 KiB" },
	{ .where = "main.c:238 = MemTotal", .args = { "-M", "500116" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "not below MemTotal",
	  .differs = "the row above" },
	{ .where = "main.c:247", .args = { "-S", "524284" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "not below SwapTotal",
	  .differs = "a swap floor at SwapTotal holds whatever swap is free: the memory floor "
		     "alone decides, surely not what was meant" },
	{ .where = "main.c:286", .args = { "-r", "-1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value" },
	{ .where = "main.c:285", .args = { "-r", "abc" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "'abc'", .differs = GARBAGE_IS_REFUSED },
	{ .where = "main.c:285", .args = { "-r", "5x" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "'5x'", .differs = GARBAGE_IS_REFUSED },
	{ .where = "main.c:285 -r=5", .args = { "-r=5" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "-r=5 read as -r 5",
	  .differs = "earlyoom gives -r the value '=5', which strtof reads as 0: reports off" },
	{ .where = "main.c:221 -m=10", .args = { "-m=10" }, .earlyoom = REFUSED, .oomguard = RUNS, .mem = MEM("10.00%/5.00%"),
	  .warning = "-m=10 read as -m 10",
	  .differs = "a short flag's '=' is taken for what it means, with a warning, rather than "
		     "leaving a switched-over service stopped" },
	{ .where = "main.c:364", .args = { "--", "xyz" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "unexpected argument 'xyz'" },
	{ .where = "main.c:397", .args = { "--prefer", "(" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "bad regular expression" },
	{ .where = "main.c:404", .args = { "--avoid", "[" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "bad regular expression" },
	{ .where = "main.c:411", .args = { "--ignore", "*a" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "bad regular expression" },
	{ .where = "main.c:358", .args = { "-x" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "-x: unknown option" },
	{ .where = "main.c:358", .args = { "--bogus" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--bogus: unknown option" },
	{ .where = "main.c:358", .args = { "-m" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "-m: missing argument" },
	{ .where = "main.c:358", .args = { "--prefer" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--prefer: missing argument" },
	{ .where = "main.c:358", .args = { "--dryrun=1" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "--dryrun" },
	{ .where = "main.c:358 abbreviation", .args = { "--pref=foo" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "not abbreviated (--prefer?)",
	  .differs = "long flags are spelt out: with abbreviations --kernel-oom, an earlyoom flag, "
		     "was read as --kernel-oom-hook and took the next word as its path" },
	{ .where = "main.c:358 abbreviation", .args = { "--ignore-" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "unknown option",
	  .differs = "the row above" },
	{ .where = "main.c:358 one dash", .args = { "-dryrun" }, .earlyoom = RUNS, .oomguard = REFUSED, .expect = "'yrun'",
	  .differs = "earlyoom reads it as -d -r yrun and runs with reports off; oomguard's -r "
		     "refuses 'yrun'" },
	{ .where = "main.c:302 twice", .args = { "--prefer", "a", "--prefer", "b" }, .earlyoom = RUNS, .oomguard = RUNS,
	  .expect = "prefer name 'a'; prefer name 'b'",
	  .differs = "rules accumulate (earlyoom keeps the last of each kind)" },
	{ .where = "main.c:259", .args = { "-k" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "-k is ignored" },
	{ .where = "main.c:265", .args = { "-n" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "--post-kill /usr/share/oomguard/hooks/oomguard-notify",
	  .differs = "earlyoom sends the D-Bus notification itself; oomguard ships it as a hook" },
	{ .where = "main.c:269", .args = { "-g" }, .earlyoom = RUNS, .oomguard = RUNS },
	{ .where = "main.c:87", .args = { "-N", "rel" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "not an absolute path, so the hook is off" },
	{ .where = "main.c:95", .args = { "-P", "rel" }, .earlyoom = RUNS, .oomguard = RUNS, .warning = "not an absolute path, so the hook is off" },
	{ .where = "main.c:315", .args = { "--kernel-oom", "--prefer", "x", "--sort-by-rss" }, .earlyoom = RUNS, .oomguard = RUNS,
	  .warning = "ignored with it, as in earlyoom: --prefer/--avoid/--ignore --sort-by-rss",
	  .expect = "victims ranked by the kernel's oom_score" },

	/* No missing value swallows the next flag: none of these may start,
	 * live or dry. They give no --dryrun of their own. */
	{ .where = "issue 13", .args = { "-P", "--dryrun" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "-P: missing value",
	  .own_dryrun = true },
	{ .where = "issue 13", .args = { "--kernel-oom-hook", "--dryrun" }, .earlyoom = REFUSED, .oomguard = REFUSED,
	  .expect = "--kernel-oom-hook: missing value", .own_dryrun = true },
	{ .where = "issue 13", .args = { "--prefer", "--dryrun" }, .earlyoom = REFUSED, .oomguard = REFUSED, .expect = "missing value",
	  .own_dryrun = true },
};

/* The start-up line: "oomguard VERSION: SIGTERM/SIGKILL when ...". */
static const char *startup_line(const char *err)
{
	const char *p = strstr(err, ": SIGTERM/SIGKILL when ");

	while (p && p > err && p[-1] != '\n')
		p--;
	return p && strncmp(p, "oomguard ", 9) == 0 ? p : NULL;
}

static void check_case(size_t i, const struct eo_case *c)
{
	const char *args[16];
	const char *startup;
	char line[1024];
	size_t n = 0;

	args[n++] = "--procfs";
	args[n++] = fixture("vps");
	args[n++] = "--once";
	if (!c->own_dryrun)
		args[n++] = "--dryrun";
	for (size_t k = 0; k < 7 && c->args[k]; k++)
		args[n++] = c->args[k];
	args[n] = NULL;
	run_oomguard(&res, args);

	cr_expect(c->earlyoom == c->oomguard || c->differs,
		  "%s %s: differs from earlyoom without a reason", c->where, c->args[0]);
	if (c->oomguard == REFUSED) {
		cr_expect_eq(res.status, 2, "%s %s: exit %d: %s", c->where, c->args[0], res.status, res.err);
		cr_expect_eq(count_lines(res.err), 1, "%s %s: %s", c->where, c->args[0], res.err);
		cr_expect(strncmp(res.err, "oomguard: ", 10) == 0, "%s: %s", c->where, res.err);
		cr_expect(c->expect && strstr(res.err, c->expect), "%s %s: '%s' not in %s", c->where,
			  c->args[0], c->expect, res.err);
		return;
	}
	cr_expect_eq(res.status, 0, "%s %s: exit %d: %s", c->where, c->args[0], res.status, res.err);
	startup = startup_line(res.err);
	cr_assert_not_null(startup, "case %zu %s %s: no start-up line in %s", i, c->where,
			   c->args[0], res.err);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(startup, "\n"), startup);
	cr_expect(strstr(line, c->mem ? c->mem : DEF_MEM), "%s %s: '%s' not in %s", c->where,
		  c->args[0], c->mem ? c->mem : DEF_MEM, line);
	cr_expect(strstr(line, c->swap ? c->swap : DEF_SWAP), "%s %s: '%s' not in %s", c->where,
		  c->args[0], c->swap ? c->swap : DEF_SWAP, line);
	cr_expect(strstr(line, "dry run: no signal will be sent"), "%s: not dry: %s", c->where, line);
	if (c->warning) {
		const char *w = strstr(res.err, c->warning);

		cr_expect(w && w < startup, "%s %s: warning '%s' not before the start-up line: %s",
			  c->where, c->args[0], c->warning, res.err);
	} else {
		cr_expect_eq(startup, res.err, "%s %s: unexpected lines before the start-up line: %s",
			     c->where, c->args[0], res.err);
	}
	if (c->expect)
		cr_expect(strstr(res.err, c->expect), "%s %s: '%s' not in %s", c->where, c->args[0],
			  c->expect, res.err);
	cr_expect(strstr(res.err, "nothing to do"), "%s: the idle VPS acted: %s", c->where, res.err);
}

Test(earlyoom, its_command_lines_mean_the_same_here_or_differ_for_a_stated_reason)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(i, &cases[i]);
}

/* -S on a machine without swap: earlyoom refuses to start (its manual
 * says it warns); oomguard warns and starts, memory alone deciding. */
Test(earlyoom, swap_size_without_swap_warns_and_runs)
{
	RUN(&res, "--procfs", fixture("plenty"), "--once", "--dryrun", "-S", "1");
	cr_expect_eq(res.status, 0, "%s", res.err);
	cr_expect(strstr(res.err, "this machine has no swap") != NULL, "%s", res.err);
	cr_expect_eq(count_lines(res.err) > 1, 1);
}

/* --help, -h and -v end at once as in earlyoom, on stdout (GNU style;
 * earlyoom writes them to stderr). The whole command line is checked
 * first: earlyoom's "-h -m 0" exits 0, this refuses it. */
Test(earlyoom, help_and_version)
{
	static const char *const words[] = { "-h", "--help", "-v", "--version" };

	for (size_t i = 0; i < 4; i++) {
		RUN(&res, words[i]);
		cr_expect_eq(res.status, 0, "%s: %d", words[i], res.status);
		cr_expect(strstr(res.out, "oomguard") != NULL, "%s: %s", words[i], res.out);
	}
	RUN(&res, "-h", "-m", "0");
	cr_expect_eq(res.status, 2, "-h -m 0: %d", res.status);
}

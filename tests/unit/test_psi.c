/* psi_parse against real captures and broken text. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "parse/psi.h"

/* Captured on Linux 6.18 during a stress run. */
static const char busy[] =
	"some avg10=41.27 avg60=22.10 avg300=6.83 total=53827465\n"
	"full avg10=35.02 avg60=18.77 avg300=5.71 total=46115236\n";

Test(psi, real_capture)
{
	struct psi psi;

	cr_assert_eq(psi_parse(busy, &psi), 0);
	cr_expect_eq(psi.some.avg10_centi, 4127);
	cr_expect_eq(psi.some.avg60_centi, 2210);
	cr_expect_eq(psi.some.avg300_centi, 683);
	cr_expect_eq(psi.some.total_us, 53827465);
	cr_expect_eq(psi.full.avg10_centi, 3502);
	cr_expect_eq(psi.full.total_us, 46115236);
}

Test(psi, idle_and_no_trailing_newline)
{
	struct psi psi;

	cr_assert_eq(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
			       "full avg10=100.00 avg60=0.00 avg300=0.00 total=18446744073709551615", &psi), 0);
	cr_expect_eq(psi.full.avg10_centi, 10000);
	cr_expect_eq(psi.full.total_us, UINT64_MAX);
}

Test(psi, missing_line_or_field)
{
	struct psi psi;

	cr_expect_eq(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &psi), -EINVAL);
	cr_expect_eq(psi_parse("some avg10=0.00 avg60=0.00 total=0\n"
			       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &psi), -EINVAL);
	cr_expect_eq(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
			       "full avg10=0.00 avg60=0.00 avg300=0.00 tot", &psi), -EINVAL);
	cr_expect_eq(psi_parse("", &psi), -EINVAL);
}

Test(psi, duplicates_are_errors)
{
	struct psi psi;

	cr_expect_eq(psi_parse("some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
			       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &psi), -EINVAL);
	cr_expect_eq(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
			       "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
			       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &psi), -EINVAL);
}

Test(psi, malformed_numbers)
{
	struct psi psi;
	const char *full = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
	const char *bad_some[] = {
		"some avg10=1.2 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=101.00 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=1.00x avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=1.00 avg60=0.00 avg300=0.00 total=99999999999999999999999\n",
		"some avg10= avg60=0.00 avg300=0.00 total=0\n",
	};

	for (size_t i = 0; i < sizeof(bad_some) / sizeof(bad_some[0]); i++) {
		char buf[256];

		snprintf(buf, sizeof(buf), "%s%s", bad_some[i], full);
		cr_expect_eq(psi_parse(buf, &psi), -EINVAL, "accepted: %s", bad_some[i]);
	}
}

Test(psi, unknown_fields_and_lines_ignored)
{
	struct psi psi;

	cr_assert_eq(psi_parse("some avg10=1.00 avg60=0.00 avg300=0.00 total=5 peak=3\n"
			       "full avg10=2.00 avg60=0.00 avg300=0.00 total=6\n"
			       "other avg10=9.00\n", &psi), 0);
	cr_expect_eq(psi.some.avg10_centi, 100);
	cr_expect_eq(psi.full.total_us, 6);
}

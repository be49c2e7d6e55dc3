#include "parse/procs.h"

bool procs_next_pid(struct procs_parser *p, const char *buf, size_t len, size_t *pos,
		    uint64_t *pid)
{
	while (*pos < len) {
		char c = buf[(*pos)++];

		if (c >= '0' && c <= '9') {
			/* Saturate: anything past INT32_MAX is skipped. */
			if (p->pid <= INT32_MAX)
				p->pid = p->pid * 10 + (uint64_t)(c - '0');
			p->in_number = true;
		} else if (p->in_number) {
			*pid = p->pid;
			p->pid = 0;
			p->in_number = false;
			return true;
		}
	}
	return false;
}

bool procs_last_pid(struct procs_parser *p, uint64_t *pid)
{
	bool had = p->in_number;

	*pid = p->pid;
	p->pid = 0;
	p->in_number = false;
	return had;
}

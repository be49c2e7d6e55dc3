/* Kill records, kernel-OOM events and warnings as journal entries with
 * fields of their own, so that `journalctl MESSAGE_ID=...` or
 * `journalctl OOMGUARD_UNIT=app.service` finds them. The builders are pure:
 * they lay "KEY=value" fields out in a fixed buffer as struct iovec. The
 * sink sends them (sd_journal_sendv when oomguard is built with libsystemd
 * and its stderr is the journal's stream; a fake in tests); where there is
 * no journal, or the send fails, the entry's MESSAGE is logged as the
 * stderr line it has always been. Never both: one record, one place. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "tell/report.h"
#include "types.h"

/* Fixed per kind of record, for `journalctl MESSAGE_ID=...` (made with
 * systemd-id128 new; never change them, scripts match on them). */
#define JOURNAL_MESSAGE_ID_KILL "ff9a5f48d486455b9bbd569acabc98d0"
#define JOURNAL_MESSAGE_ID_KERNEL_OOM "c0fc73d2c5714e1bbccd9e8fb256849c"
#define JOURNAL_MESSAGE_ID_WARNING "0253a69950f7491cbcfb359ea9764ec8"

/* A kill entry has 22 fields at most (journal.c lists them); 32 leave
 * room. */
#define JOURNAL_MAX_FIELDS 32
/* The longest kill entry: MESSAGE and OOMGUARD_TOP at 1535 bytes each (the
 * loop's line buffers), OOMGUARD_CGROUP 1023, OOMGUARD_UNIT 255,
 * OOMGUARD_TRIGGER 511, OOMGUARD_NAME 63, with their keys and the numbers:
 * about 5.5 KiB. 8 KiB holds it with room; test_journal fills every field
 * to its longest to prove it. */
#define JOURNAL_TEXT_MAX 8192

/* One entry: iov[0..n) point into text. */
struct journal_entry {
	struct iovec iov[JOURNAL_MAX_FIELDS];
	int n;
	size_t used;			/* bytes of text taken */
	char text[JOURNAL_TEXT_MAX];
};

/* Where entries go. send returns 0 or -errno, as sd_journal_sendv(3)
 * does. */
struct journal_sink {
	int (*send)(const struct iovec *iov, int n, void *userdata);
	void *userdata;
	bool active;			/* records go to send, not to stderr */
	bool ready;			/* journal_sink_init ran (or a test set it up) */
};

/* What a warning says (the warning level, before any kill). */
struct journal_warning_info {
	const char *message;		/* the log line, as on stderr */
	enum reason reason;		/* REASON_NONE: no OOMGUARD_REASON */
	const char *trigger;		/* the figures in words; NULL or "": left out */
	uint64_t mem_available_kib;
	uint64_t swap_free_kib;
	const struct candidate *first;	/* would be killed first; NULL: none */
	const char *unit;		/* first's unit and cgroup; NULL or "": left out */
	const char *cgroup;
};

/* The kill record (a kill, a failed kill or --dryrun's "would kill"):
 * MESSAGE (report_format_kill's line), MESSAGE_ID, PRIORITY=5,
 * SYSLOG_IDENTIFIER=oomguard and the OOMGUARD_* fields of the victim and
 * the outcome. cgroup, top (report_format_top's line) and an empty unit are
 * left out when NULL or "". Names are carried raw (journal values are
 * binary-safe), escaped only in MESSAGE. Returns 0, or -ENOBUFS when the
 * fields did not fit (MESSAGE, the first, always does). */
int journal_build_kill(struct journal_entry *e, const struct report_kill *k, const char *cgroup,
		       const char *top);

/* The kernel's OOM killer ran: MESSAGE (the loop's line), MESSAGE_ID,
 * PRIORITY=3, SYSLOG_IDENTIFIER, OOMGUARD_REASON=kernel-oom,
 * OOMGUARD_KILLS (kills since the last sample), OOMGUARD_OOM_KILL
 * (/proc/vmstat's oom_kill now) and, when the cgroup tree was walked,
 * OOMGUARD_GLOBAL_KILLS and one OOMGUARD_CGROUP per memory-limited cgroup
 * the kernel killed in. Returns 0 or -ENOBUFS. */
int journal_build_kernel_oom(struct journal_entry *e, const char *message,
			     const struct kernel_oom_event *ev, uint64_t oom_kill);

/* A warning: MESSAGE, MESSAGE_ID, PRIORITY=4, SYSLOG_IDENTIFIER,
 * OOMGUARD_MEM_AVAILABLE_KIB, OOMGUARD_SWAP_FREE_KIB, OOMGUARD_REASON and
 * OOMGUARD_TRIGGER when known, and the first victim's OOMGUARD_PID, _NAME,
 * _UID, _UNIT, _CGROUP, _RSS_KIB, _SWAP_KIB, _OOM_SCORE when there is one.
 * Returns 0 or -ENOBUFS. */
int journal_build_warning(struct journal_entry *e, const struct journal_warning_info *w);

/* The value of field key ("MESSAGE") in e, and its length in *len.
 * Returns NULL when e has no such field. */
const char *journal_field(const struct journal_entry *e, const char *key, size_t *len);

/* Does value, JOURNAL_STREAM's "DEVICE:INODE" (decimal), name the file st
 * describes? That is how systemd tells a service its stderr is the
 * journal's stream (systemd.exec(5)). Returns false for NULL or a value
 * that is not two decimal numbers and a colon. */
bool journal_stream_matches(const char *value, const struct stat *st);

/* Set s up: active, through sd_journal_sendv, when oomguard is built with
 * libsystemd, use_syslog is false and JOURNAL_STREAM names our stderr;
 * inactive (stderr lines as before) otherwise. */
void journal_sink_init(struct journal_sink *s, bool use_syslog);

/* Send e through s, or, when s is inactive or the send fails, log e's
 * MESSAGE at prio as one stderr line (log_msg): the record reaches exactly
 * one of the two. Nothing when prio is below the log threshold. Returns
 * true when the journal took it. */
bool journal_emit(const struct journal_sink *s, const struct journal_entry *e, int prio);

/* Build and emit a kill record (see journal_build_kill). Returns true when
 * the journal took it. */
bool journal_kill(const struct journal_sink *s, const struct report_kill *k, const char *cgroup,
		  const char *top);

/* Build and emit a kernel-OOM event. Returns true when the journal took
 * it. */
bool journal_kernel_oom(const struct journal_sink *s, const char *message,
			const struct kernel_oom_event *ev, uint64_t oom_kill);

/* Build and emit a warning, at LOG_WARNING. Returns true when the journal
 * took it. */
bool journal_warning(const struct journal_sink *s, const struct journal_warning_info *w);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One sink for the messages any thread prints while flowtop runs.
 *
 * Normally a message goes to stderr as written. While the interactive
 * view owns the terminal (log_capture(true)), writing there would scribble
 * over the screen: messages are kept in a small ring instead, the view
 * shows the newest one as a status line (log_latest), and when the view
 * ends the ones it held are written to stderr after all, in order.
 */
#ifndef FLOWTOP_LOG_H
#define FLOWTOP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flowtop_log_level {
	FT_LOG_ERR,
	FT_LOG_WARN,
	FT_LOG_INFO,
};

/* messages kept while captured; older ones are dropped (and counted) */
#define LOG_RING 8
/* a message longer than this is cut when captured (not on stderr) */
#define LOG_MSG_MAX 256

/*
 * fmt as for printf, with its own "flowtop: " prefix and "\n" as the
 * callers always wrote them: the text reaches stderr unchanged.
 */
void flowtop_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void flowtop_vlog(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * on: keep messages for the view from now on. off: stop, and write the
 * ones still kept to stderr (with a count of those the ring dropped).
 */
void log_capture(bool on);

/*
 * The newest kept message, if newer than *seq: copies it (without its
 * prefix and newline) into buf, sets *seq and *when_ns (CLOCK_MONOTONIC)
 * and returns true. Never waits for a writer: when one holds the ring
 * at that moment it returns false and the caller asks again next frame.
 */
bool log_latest(uint64_t *seq, char *buf, size_t len, uint64_t *when_ns);

#endif

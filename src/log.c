// SPDX-License-Identifier: GPL-2.0
/* The one message sink: stderr, or a ring the view reads (see log.h). */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

struct log_msg {
	uint64_t when_ns;
	int level;
	char text[LOG_MSG_MAX];
};

/*
 * Writers hold the lock for one snprintf and a copy; the view only ever
 * tries it (log_latest), so a writer can delay the status line by a frame
 * but never the view's loop.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool capturing;
static struct log_msg ring[LOG_RING];
static uint64_t next_seq;	/* messages kept so far; ring[(seq) % LOG_RING] */
static uint64_t flushed_seq;	/* the first not yet given back to stderr */

void flowtop_vlog(int level, const char *fmt, va_list ap)
{
	struct log_msg *m;

	pthread_mutex_lock(&lock);
	if (!capturing) {
		pthread_mutex_unlock(&lock);
		vfprintf(stderr, fmt, ap);
		return;
	}
	m = &ring[next_seq % LOG_RING];
	m->when_ns = mono_ns();
	m->level = level;
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	next_seq++;
	pthread_mutex_unlock(&lock);
}

void flowtop_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	flowtop_vlog(level, fmt, ap);
	va_end(ap);
}

/* text as written, with a newline at its end whether cut or not */
static void put_line(const char *text)
{
	size_t n = strlen(text);

	fputs(text, stderr);
	if (!n || text[n - 1] != '\n')
		fputc('\n', stderr);
}

void log_capture(bool on)
{
	pthread_mutex_lock(&lock);
	if (on) {
		capturing = true;
		flushed_seq = next_seq;
		pthread_mutex_unlock(&lock);
		return;
	}
	capturing = false;
	if (next_seq - flushed_seq > LOG_RING) {
		fprintf(stderr, "flowtop: %llu earlier messages were dropped "
			"while the view ran\n",
			(unsigned long long)(next_seq - flushed_seq - LOG_RING));
		flushed_seq = next_seq - LOG_RING;
	}
	for (; flushed_seq < next_seq; flushed_seq++)
		put_line(ring[flushed_seq % LOG_RING].text);
	pthread_mutex_unlock(&lock);
}

bool log_latest(uint64_t *seq, char *buf, size_t len, uint64_t *when_ns)
{
	const struct log_msg *m;
	const char *t;
	size_t n;

	if (!len || pthread_mutex_trylock(&lock))
		return false;
	if (next_seq == 0 || next_seq <= *seq) {
		pthread_mutex_unlock(&lock);
		return false;
	}
	m = &ring[(next_seq - 1) % LOG_RING];
	t = m->text;
	if (!strncmp(t, "flowtop: ", 9))
		t += 9;
	n = strcspn(t, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, t, n);
	buf[n] = '\0';
	*seq = next_seq;
	*when_ns = m->when_ns;
	pthread_mutex_unlock(&lock);
	return true;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * ui_latency — key-to-screen latency of an interactive program in a
 * pseudo-terminal, plus its CPU and memory while it runs.
 *
 *   ui_latency [--keys N] [--gap-ms LO-HI] [--warmup S] [--rows R --cols C]
 *              [--ready TEXT] [--chars KEYS] -- command [args...]
 *
 * Runs the command on a new pty (TERM=xterm, NO_COLOR=1), waits until its
 * output contains TEXT (default "DESTINATION") and then --warmup seconds,
 * and then N times: waits a random gap (uniform in LO-HI ms) while reading
 * everything the program prints, writes one key (the characters of KEYS in
 * turn, default "jk"; each must change the screen), and measures the time until
 * the first byte of output that follows. A periodic redraw that happens to
 * start in the few hundred microseconds after a key would count as the
 * answer; the program handles every pending key before it draws, so such a
 * redraw also carries the key's effect. A key not answered within 2 s counts
 * as 2000 ms.
 *
 * CPU is the program's utime+stime over the measured period (from
 * /proc/PID/stat) as a percentage of one core; RSS is sampled from
 * /proc/PID/status every gap (max and mean) and VmHWM read at the end.
 * Ends the program with 'q' (then SIGTERM). Prints one line:
 *   keys= p50_ms= p90_ms= p99_ms= max_ms= cpu_pct= rss_max_mib= rss_mean_mib= hwm_mib= timeouts=
 *   ready_s= ready_cpu_s=
 * (ready_s: from the start until TEXT showed; ready_cpu_s: the program's
 * CPU seconds by then, i.e. its start-up.)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Reads what is there within timeout_ms; returns bytes read, -1 on EOF. */
static ssize_t pump(int fd, int timeout_ms, char *keep, size_t keepcap,
		    size_t *keeplen)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[65536];
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	if (keep) {
		/* keep a sliding tail for the ready-text search */
		size_t take = (size_t)n < keepcap - 1 ? (size_t)n : keepcap - 1;

		if (*keeplen + take >= keepcap) {
			size_t drop = *keeplen + take - (keepcap - 1);

			memmove(keep, keep + drop, *keeplen - drop);
			*keeplen -= drop;
		}
		memcpy(keep + *keeplen, buf + n - take, take);
		*keeplen += take;
		keep[*keeplen] = '\0';
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static double cpu_seconds(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t l = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, l) && line[l] == ':') {
			v = strtol(line + l + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: ui_latency [--keys N] [--chars KEYS] [--gap-ms LO-HI] [--warmup S] "
		"[--rows R] [--cols C] [--ready TEXT] -- command [args...]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "chars", required_argument, NULL, 'K' },
		{ "gap-ms", required_argument, NULL, 'g' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "rows", required_argument, NULL, 'r' },
		{ "cols", required_argument, NULL, 'c' },
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int nkeys = 200, gap_lo = 20, gap_hi = 300, rows = 40, cols = 160;
	const char *chars = "jk";
	double warmup = 2, t_start, t_end, cpu0, cpu1, rss_sum = 0;
	double t_spawn, ready_s, startup_cpu;
	const char *ready = "DESTINATION";
	long rss_max = 0, hwm, rss;
	int c, fd, status, timeouts = 0, rss_n = 0;
	char tail[8192];
	size_t tail_len = 0;
	struct winsize ws;
	double *lat;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': nkeys = atoi(optarg); break;
		case 'K': chars = optarg; break;
		case 'g':
			if (sscanf(optarg, "%d-%d", &gap_lo, &gap_hi) != 2 ||
			    gap_lo < 0 || gap_hi < gap_lo) {
				usage();
				return 2;
			}
			break;
		case 'w': warmup = atof(optarg); break;
		case 'r': rows = atoi(optarg); break;
		case 'c': cols = atoi(optarg); break;
		case 'R': ready = optarg; break;
		default: usage(); return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc || nkeys < 1 || nkeys > 100000 || rows < 5 || cols < 20 ||
	    !*chars) {
		usage();
		return 2;
	}
	lat = calloc((size_t)nkeys, sizeof(*lat));
	if (!lat)
		return 1;
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	pid = forkpty(&fd, NULL, NULL, &ws);
	if (pid < 0) {
		perror("ui_latency: forkpty");
		return 1;
	}
	if (pid == 0) {
		setenv("TERM", "xterm", 1);
		setenv("NO_COLOR", "1", 1);
		setenv("LANG", "C.UTF-8", 1);
		execvp(argv[optind], argv + optind);
		perror("ui_latency: exec");
		_exit(127);
	}
	srandom((unsigned int)getpid());

	/* until the view shows, then the warm-up */
	t_spawn = t_start = now_ms();
	while (!strstr(tail, ready)) {
		if (pump(fd, 200, tail, sizeof(tail), &tail_len) < 0 ||
		    now_ms() - t_start > 60000) {
			fprintf(stderr, "ui_latency: '%s' never appeared; last output: %.300s\n",
				ready, tail);
			kill(pid, SIGTERM);
			waitpid(pid, &status, 0);
			return 1;
		}
	}
	t_start = now_ms();
	ready_s = (t_start - t_spawn) / 1000;
	startup_cpu = cpu_seconds(pid);
	while (now_ms() - t_start < warmup * 1000)
		if (pump(fd, 50, NULL, 0, NULL) < 0)
			return 1;

	t_start = now_ms();
	cpu0 = cpu_seconds(pid);
	for (int i = 0; i < nkeys; i++) {
		double gap = gap_lo + (double)random() / RAND_MAX * (gap_hi - gap_lo);
		double until = now_ms() + gap, t0;
		char key = chars[(size_t)i % strlen(chars)];
		ssize_t n = 0;

		/* everything printed before the key is not its answer */
		while (now_ms() < until) {
			int left = (int)(until - now_ms());

			if (pump(fd, left > 0 ? left : 0, NULL, 0, NULL) < 0)
				goto died;
		}
		rss = status_kib(pid, "VmRSS");
		if (rss > 0) {
			rss_sum += (double)rss;
			rss_n++;
			if (rss > rss_max)
				rss_max = rss;
		}
		t0 = now_ms();
		if (write(fd, &key, 1) != 1)
			goto died;
		while (n == 0 && now_ms() - t0 < 2000) {
			n = pump(fd, 2000, NULL, 0, NULL);
			if (n < 0)
				goto died;
		}
		lat[i] = now_ms() - t0;
		if (n == 0) {
			lat[i] = 2000;
			timeouts++;
		}
	}
	t_end = now_ms();
	cpu1 = cpu_seconds(pid);
	hwm = status_kib(pid, "VmHWM");

	if (write(fd, "q", 1) != 1)
		(void)0;
	for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
		pump(fd, 100, NULL, 0, NULL);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}

	qsort(lat, (size_t)nkeys, sizeof(*lat), cmp_double);
	printf("keys=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f cpu_pct=%.1f "
	       "rss_max_mib=%.1f rss_mean_mib=%.1f hwm_mib=%.1f timeouts=%d "
	       "ready_s=%.2f ready_cpu_s=%.2f\n",
	       nkeys, pct(lat, (size_t)nkeys, 50), pct(lat, (size_t)nkeys, 90),
	       pct(lat, (size_t)nkeys, 99), lat[nkeys - 1],
	       cpu0 >= 0 && cpu1 >= 0 ? (cpu1 - cpu0) * 1e5 / (t_end - t_start) : -1.0,
	       (double)rss_max / 1024, rss_n ? rss_sum / rss_n / 1024 : -1.0,
	       (double)hwm / 1024, timeouts, ready_s, startup_cpu);
	free(lat);
	return 0;
died:
	fprintf(stderr, "ui_latency: the program ended during the measurement\n");
	waitpid(pid, &status, 0);
	free(lat);
	return 1;
}

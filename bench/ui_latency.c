// SPDX-License-Identifier: GPL-2.0
/*
 * ui_latency — key-to-screen latency of an interactive program in a
 * pseudo-terminal, plus its CPU and memory while it runs.
 *
 *   ui_latency [--keys N] [--gap-ms LO-HI] [--warmup S] [--rows R --cols C]
 *              [--ready TEXT] [--chars KEYS | --seq NAMES] [--startup-seq NAMES]
 *              [--duration S] [--trace FILE] [--ready-timeout S]
 *              -- command [args...]
 *
 * Runs the command on a new pty (TERM=xterm, NO_COLOR=1), waits until its
 * output contains TEXT (default "DESTINATION", at most --ready-timeout
 * seconds, default 60) and then --warmup seconds,
 * and then N times (or for --duration seconds): waits a random gap (uniform
 * in LO-HI ms) while reading everything the program prints, writes one key
 * (the characters of KEYS in turn, default "jk", or the --seq names in
 * turn: single characters or UP DOWN LEFT RIGHT PGUP PGDN HOME END, sent
 * as a terminal sends them; each must change the screen), and measures the
 * time until the first byte of output that follows. A periodic redraw that
 * happens to start in the few hundred microseconds after a key would count
 * as the answer; the program handles every pending key before it draws, so
 * such a redraw also carries the key's effect. A key not answered within
 * 2 s counts as 2000 ms.
 *
 * With --startup-seq the start-up is measured too: from the program's
 * first output until TEXT shows, those keys are pressed at the same gaps
 * (e.g. "?" opens and closes a help screen before there is data) and
 * counted with the others. --trace writes one line per key: seconds since
 * the start, latency in ms, the key's name (and "startup"), and for a
 * key not answered within 20 ms what the program's main thread was seen
 * doing meanwhile ("seen=S:poll,R:run": idle in its poll, running; "+q":
 * the key was waiting in its terminal's input queue) and where the CPU
 * time went over the wait: the machine's steal (a hypervisor that ran
 * something else), the view thread on a CPU (ui_run) and runnable but
 * waiting for one (ui_wait), the program's other threads on a CPU
 * (others), the machine's softirq and busy time (all CPUs).
 *
 * CPU is the program's utime+stime over the measured period (from
 * /proc/PID/stat) as a percentage of one core; RSS is sampled from
 * /proc/PID/status every gap (max and mean) and VmHWM read at the end.
 * Ends the program with 'q' (then SIGTERM). Prints one line:
 *   keys= p50_ms= p90_ms= p99_ms= max_ms= max_at_s= cpu_pct= rss_max_mib=
 *   rss_mean_mib= hwm_mib= timeouts= ready_s= ready_cpu_s= startup_keys=
 *   startup_max_ms=
 * (max_ms: the slowest key of the whole run, start-up included, and
 * max_at_s when it was pressed; ready_s: from the start until TEXT showed;
 * ready_cpu_s: the program's CPU seconds by then, i.e. its start-up.)
 */
#include <dirent.h>
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

/* --seq names: a printable character stands for itself */
static const struct {
	const char *name, *bytes;
} key_names[] = {
	{ "UP", "\033OA" }, { "DOWN", "\033OB" }, { "RIGHT", "\033OC" },
	{ "LEFT", "\033OD" }, { "PGUP", "\033[5~" }, { "PGDN", "\033[6~" },
	{ "HOME", "\033OH" }, { "END", "\033OF" },
};

#define SEQ_MAX 64

struct key_seq {
	const char *name[SEQ_MAX];
	const char *bytes[SEQ_MAX];
	char one[SEQ_MAX][2];
	size_t n;
};

/* "j,DOWN,PGDN": comma-separated names or single characters */
static int parse_seq(struct key_seq *q, char *list)
{
	char *save = NULL;

	for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t k;

		if (q->n == SEQ_MAX)
			return -1;
		q->name[q->n] = w;
		if (strlen(w) == 1) {
			q->one[q->n][0] = w[0];
			q->bytes[q->n] = q->one[q->n];
		} else {
			for (k = 0; k < sizeof(key_names) / sizeof(key_names[0]); k++)
				if (!strcmp(w, key_names[k].name))
					break;
			if (k == sizeof(key_names) / sizeof(key_names[0]))
				return -1;
			q->bytes[q->n] = key_names[k].bytes;
		}
		q->n++;
	}
	return q->n ? 0 : -1;
}

/* the pty's program side, opened once to look at its input queue */
static int slave_fd = -1;

/*
 * What the program's main thread (the view's) is doing, for a slow key's
 * trace line: its state letter and the system call it sits in, from
 * /proc/PID/task/PID/{stat,syscall} ("S:poll" idle in its poll, waiting
 * for input; "S:futex" or "D:..." blocked; "R:run" running or runnable).
 */
static void thread_doing(pid_t pid, char *out, size_t len)
{
	char path[64], buf[512], num[24], *p;
	const char *call = "?";
	char state = '?';
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1])
			state = p[2];
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			if (!strncmp(buf, "running", 7))
				call = "run";
			else
				nr = strtol(buf, NULL, 10);
		}
		fclose(f);
	}
	switch (nr) {
	case 0: call = "read"; break;
	case 1: call = "write"; break;
	case 7: call = "poll"; break;
	case 271: call = "ppoll"; break;
	case 202: call = "futex"; break;
	case 232: case 281: call = "epoll_wait"; break;
	case -1: break;
	default:
		snprintf(num, sizeof(num), "%ld", nr);
		call = num;
	}
	snprintf(out, len, "%c:%s", state, call);
}

/*
 * Where the CPU time went while a key waited, for a slow key's trace line:
 * the view thread's own time on a CPU and its time runnable but waiting
 * for one (/proc/PID/task/PID/schedstat, ns), the program's other threads'
 * time on a CPU, and the machine's softirq, busy and steal time over all
 * CPUs (/proc/stat). Tells a thread doing slow work of its own from one
 * kept off the CPUs, and by what.
 */
struct cpu_sample {
	double ui_run, ui_wait, others_run;	/* ms */
	double softirq, busy, steal;		/* ms, all CPUs */
};

/* the first two numbers of a schedstat file: ns on a CPU, ns runnable */
static bool schedstat_ms(const char *path, double *run, double *wait)
{
	unsigned long long r, w;
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%llu %llu", &r, &w) == 2;
	fclose(f);
	if (ok) {
		*run = (double)r / 1e6;
		*wait = (double)w / 1e6;
	}
	return ok;
}

static void cpu_sample_take(pid_t pid, struct cpu_sample *s)
{
	unsigned long long v[8] = { 0 };
	double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK), run, wait;
	char path[96], line[512];
	struct dirent *e;
	FILE *f;
	DIR *d;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)pid);
	schedstat_ms(path, &s->ui_run, &s->ui_wait);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == (int)pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)pid,
			 e->d_name);
		if (schedstat_ms(path, &run, &wait))
			s->others_run += run;
	}
	if (d)
		closedir(d);
	f = fopen("/proc/stat", "r");
	if (!f)
		return;
	/* user nice system idle iowait irq softirq steal */
	if (fgets(line, sizeof(line), f) &&
	    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		s->softirq = (double)v[6] * tick_ms;
		s->busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) * tick_ms;
		s->steal = (double)v[7] * tick_ms;
	}
	fclose(f);
}

/* adds what to the comma-separated set seen (when not there yet) */
static void seen_add(char *seen, size_t cap, const char *what)
{
	size_t l = strlen(seen), w = strlen(what);
	const char *p = seen;

	while ((p = strstr(p, what))) {
		if ((p == seen || p[-1] == ',') && (p[w] == ',' || !p[w]))
			return;
		p += w;
	}
	if (l + w + 2 <= cap)
		snprintf(seen + l, cap - l, "%s%s", l ? "," : "", what);
}

/*
 * Writes one key and waits for the first output after it (at most 2 s,
 * counted as 2000 ms). Output read meanwhile goes to keep when given, so
 * the ready text is still found. Past 20 ms without an answer it samples
 * what the program's main thread does every 5 ms into seen (for the
 * trace: a key that changed nothing leaves it idle in its poll until the
 * next refresh; a blocked thread shows the call it waits in). Returns the
 * latency, or -1 if the program ended.
 */
static double press(int fd, pid_t pid, const char *key, char *keep, size_t keepcap,
		    size_t *keeplen, bool *timeout, char *seen, size_t seencap)
{
	size_t klen = strlen(key);
	double t0, lat;
	struct cpu_sample c0, c1;
	ssize_t n = 0;

	seen[0] = '\0';
	/* before the clock starts: reading /proc takes a little while */
	cpu_sample_take(pid, &c0);
	t0 = now_ms();
	/* a sequence in one write, as a terminal sends it */
	if (write(fd, key, klen) != (ssize_t)klen)
		return -1;
	while (n == 0 && now_ms() - t0 < 2000) {
		bool watch = now_ms() - t0 >= 20;

		n = pump(fd, watch ? 5 : 20, keep, keepcap, keeplen);
		if (n < 0)
			return -1;
		if (n == 0 && watch) {
			char what[64];
			int queued = 0;

			thread_doing(pid, what, sizeof(what));
			/* the key read by the pty's line discipline, waiting for
			 * the program ("+q"), or still on its way (no mark) */
			if (slave_fd >= 0 && !ioctl(slave_fd, FIONREAD, &queued) &&
			    queued > 0)
				strncat(what, "+q", sizeof(what) - strlen(what) - 1);
			seen_add(seen, seencap, what);
		}
	}
	if (n == 0 && slave_fd >= 0) {
		/* our copy of the pty's program side hides its end from
		 * read(): ask whether it ended, without reaping it */
		siginfo_t si = { 0 };

		if (!waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid == pid)
			return -1;
	}
	*timeout = n == 0;
	lat = n == 0 ? 2000 : now_ms() - t0;
	if (lat >= 20 && seen[0]) {
		char st[160];

		cpu_sample_take(pid, &c1);
		snprintf(st, sizeof(st),
			 "steal=%.0fms ui_run=%.0fms ui_wait=%.0fms others=%.0fms sirq=%.0fms busy=%.0fms",
			 c1.steal - c0.steal, c1.ui_run - c0.ui_run, c1.ui_wait - c0.ui_wait,
			 c1.others_run - c0.others_run, c1.softirq - c0.softirq,
			 c1.busy - c0.busy);
		seen_add(seen, seencap, st);
	}
	return lat;
}

/* Reads (and discards, or keeps) output until `until`; -1 if it ended. */
static int drain_until(int fd, double until, char *keep, size_t keepcap,
		       size_t *keeplen)
{
	while (now_ms() < until) {
		int left = (int)(until - now_ms());

		if (pump(fd, left > 0 ? left : 0, keep, keepcap, keeplen) < 0)
			return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: ui_latency [--keys N] [--chars KEYS] [--gap-ms LO-HI] [--warmup S] "
		"[--rows R] [--cols C] [--ready TEXT] [--seq NAMES] [--duration S] [--trace FILE] "
		"[--ready-timeout S] "
		"-- command [args...]\n");
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
		{ "seq", required_argument, NULL, 'S' },
		{ "startup-seq", required_argument, NULL, 'U' },
		{ "duration", required_argument, NULL, 'd' },
		{ "trace", required_argument, NULL, 't' },
		{ "ready-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int nkeys = 200, gap_lo = 20, gap_hi = 300, rows = 40, cols = 160;
	const char *chars = "jk";
	double warmup = 2, t_start, t_end, cpu0, cpu1, rss_sum = 0;
	double t_spawn, ready_s, startup_cpu;
	const char *ready = "DESTINATION";
	long rss_max = 0, hwm, rss;
	static struct key_seq seq, startup;
	double startup_max = 0;
	int startup_keys = 0;
	double duration = 0, max_at = 0, lat_max = -1, ready_max_s = 60;
	const char *trace_path = NULL;
	FILE *trace = NULL;
	int sent = 0;
	int c, fd, status, timeouts = 0, rss_n = 0;
	char tail[8192], seen[512];
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
		case 'S':
			if (parse_seq(&seq, optarg)) {
				fprintf(stderr, "ui_latency: --seq: names are single characters or "
					"UP DOWN LEFT RIGHT PGUP PGDN HOME END, comma-separated\n");
				return 2;
			}
			break;
		case 'U':
			if (parse_seq(&startup, optarg)) {
				fprintf(stderr, "ui_latency: --startup-seq: same names as --seq\n");
				return 2;
			}
			break;
		case 'd': duration = atof(optarg); break;
		case 't': trace_path = optarg; break;
		case 'T': ready_max_s = atof(optarg); break;
		default: usage(); return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc || nkeys < 1 || nkeys > 100000 || rows < 5 || cols < 20 ||
	    !*chars) {
		usage();
		return 2;
	}
	if (!seq.n) {
		for (size_t k = 0; chars[k] && seq.n < SEQ_MAX; k++) {
			seq.one[seq.n][0] = chars[k];
			seq.name[seq.n] = seq.bytes[seq.n] = seq.one[seq.n];
			seq.n++;
		}
	}
	if (trace_path && !(trace = fopen(trace_path, "w"))) {
		perror("ui_latency: --trace");
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
	/* with --trace: the program side too, to see whether a slow key sits
	 * in its input queue (O_NOCTTY: it is the child's terminal, not ours) */
	if (trace) {
		char *name = ptsname(fd);

		if (name)
			slave_fd = open(name, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	}

	/* until the view shows, then the warm-up */
	t_spawn = t_start = now_ms();
	tail[0] = '\0';
	/*
	 * Start-up: from the program's first output until the ready text,
	 * the --startup-seq keys are pressed and timed like the others.
	 */
	while (startup.n && !tail_len)
		if (pump(fd, 200, tail, sizeof(tail), &tail_len) < 0 ||
		    now_ms() - t_start > ready_max_s * 1000)
			break;
	while (startup.n && !strstr(tail, ready) && sent < nkeys &&
	       now_ms() - t_start < ready_max_s * 1000) {
		double gap = gap_lo + (double)random() / RAND_MAX * (gap_hi - gap_lo);
		double t0;
		bool late;

		if (drain_until(fd, now_ms() + gap, tail, sizeof(tail), &tail_len))
			goto died;
		if (strstr(tail, ready))
			break;
		t0 = now_ms();
		lat[sent] = press(fd, pid, startup.bytes[(size_t)sent % startup.n], tail,
				  sizeof(tail), &tail_len, &late, seen, sizeof(seen));
		if (lat[sent] < 0)
			goto died;
		timeouts += late;
		if (lat[sent] > startup_max)
			startup_max = lat[sent];
		if (lat[sent] > lat_max) {
			lat_max = lat[sent];
			max_at = (t0 - t_spawn) / 1000;
		}
		if (trace)
			fprintf(trace, "%.3f %.2f %s startup%s%s\n", (t0 - t_spawn) / 1000,
				lat[sent], startup.name[(size_t)sent % startup.n],
				seen[0] ? " seen=" : "", seen);
		sent++;
	}
	startup_keys = sent;
	while (!strstr(tail, ready)) {
		if (pump(fd, 200, tail, sizeof(tail), &tail_len) < 0 ||
		    now_ms() - t_start > ready_max_s * 1000) {
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
	for (int i = sent; i < nkeys; i++) {
		double gap = gap_lo + (double)random() / RAND_MAX * (gap_hi - gap_lo);
		double t0;
		bool late;

		if (duration > 0 && now_ms() - t_start >= duration * 1000)
			break;
		/* everything printed before the key is not its answer */
		if (drain_until(fd, now_ms() + gap, NULL, 0, NULL))
			goto died;
		rss = status_kib(pid, "VmRSS");
		if (rss > 0) {
			rss_sum += (double)rss;
			rss_n++;
			if (rss > rss_max)
				rss_max = rss;
		}
		t0 = now_ms();
		lat[i] = press(fd, pid, seq.bytes[(size_t)(i - startup_keys) % seq.n], NULL, 0,
			       NULL, &late, seen, sizeof(seen));
		if (lat[i] < 0)
			goto died;
		timeouts += late;
		if (lat[i] > lat_max) {
			lat_max = lat[i];
			max_at = (t0 - t_spawn) / 1000;
		}
		if (trace)
			fprintf(trace, "%.3f %.2f %s%s%s\n", (t0 - t_spawn) / 1000, lat[i],
				seq.name[(size_t)(i - startup_keys) % seq.n],
				seen[0] ? " seen=" : "", seen);
		sent++;
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

	if (trace)
		fclose(trace);
	if (!sent) {
		fprintf(stderr, "ui_latency: no key was sent\n");
		free(lat);
		return 1;
	}
	qsort(lat, (size_t)sent, sizeof(*lat), cmp_double);
	printf("keys=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f max_at_s=%.1f cpu_pct=%.1f "
	       "rss_max_mib=%.1f rss_mean_mib=%.1f hwm_mib=%.1f timeouts=%d "
	       "ready_s=%.2f ready_cpu_s=%.2f startup_keys=%d startup_max_ms=%.2f\n",
	       sent, pct(lat, (size_t)sent, 50), pct(lat, (size_t)sent, 90),
	       pct(lat, (size_t)sent, 99), lat[sent - 1], max_at,
	       cpu0 >= 0 && cpu1 >= 0 ? (cpu1 - cpu0) * 1e5 / (t_end - t_start) : -1.0,
	       (double)rss_max / 1024, rss_n ? rss_sum / rss_n / 1024 : -1.0,
	       (double)hwm / 1024, timeouts, ready_s, startup_cpu, startup_keys,
	       startup_max);
	free(lat);
	return 0;
died:
	fprintf(stderr, "ui_latency: the program ended during the measurement\n");
	waitpid(pid, &status, 0);
	free(lat);
	return 1;
}

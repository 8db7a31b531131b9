// SPDX-License-Identifier: GPL-2.0
/*
 * enrich_duplex LISTEN_ADDR LISTEN_PORT CONNECT_ADDR CONNECT_PORT
 *
 * A process with a distinctive name that owns both kinds of flows the
 * owning-process lookup must find: it connects out (TCP client socket)
 * and accepts in (TCP server socket), then keeps every connection open
 * until killed. Prints "ready <pid>" once it listens and is connected, and
 * "accepted" for every inbound connection. Test traffic only: the test
 * gives addresses of its own namespaces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock_for(const char *addr, const char *port, bool listen_side)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	int fd, one = 1, ret;

	ret = getaddrinfo(addr, port, &hints, &ai);
	if (ret) {
		fprintf(stderr, "enrich_duplex: %s port %s: %s\n", addr, port,
			gai_strerror(ret));
		exit(2);
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("enrich_duplex: socket");
		exit(1);
	}
	if (listen_side) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
			fprintf(stderr, "enrich_duplex: listen on %s port %s: %s\n",
				addr, port, strerror(errno));
			exit(1);
		}
	} else if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		fprintf(stderr, "enrich_duplex: connect to %s port %s: %s\n",
			addr, port, strerror(errno));
		exit(1);
	}
	freeaddrinfo(ai);
	return fd;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[64];
	int n = 0, lfd, cfd;

	if (argc != 5) {
		fprintf(stderr, "usage: enrich_duplex LISTEN_ADDR LISTEN_PORT "
			"CONNECT_ADDR CONNECT_PORT\n");
		return 2;
	}
	lfd = sock_for(argv[1], argv[2], true);
	cfd = sock_for(argv[3], argv[4], false);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = cfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			int a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (a >= 0 && n < 64) {
				pfd[n++] = (struct pollfd){ .fd = a, .events = POLLIN };
				printf("accepted\n");
				fflush(stdout);
			} else if (a >= 0) {
				close(a);
			}
		}
		/* drain and keep: a peer's close only stops polling that fd */
		for (int i = 1; i < n; i++) {
			char buf[4096];

			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (read(pfd[i].fd, buf, sizeof(buf)) <= 0)
				pfd[i].events = 0;
		}
	}
}

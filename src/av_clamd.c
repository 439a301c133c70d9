/*
 * av_clamd - clamd INSTREAM client.
 *
 * Protocol (clamd(8)): "zINSTREAM\0", then chunks of <4-byte big-endian length><data>,
 * then a zero-length chunk; clamd answers "stream: OK", "stream: <name> FOUND" or
 * "<reason> ERROR", NUL-terminated (the z prefix).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "av_clamd.h"

#define CHUNK	(64 * 1024)

int
mw_clamd_parse(const char *spec, struct mw_clamd_addr *a, char *why, size_t whylen)
{
	const char *colon;
	size_t hlen;

	memset(a, 0, sizeof(*a));
	if (spec[0] == '/') {
		if (strlen(spec) >= sizeof(a->path)) {
			snprintf(why, whylen, "socket path too long");
			return -1;
		}
		a->is_unix = true;
		snprintf(a->path, sizeof(a->path), "%s", spec);
		return 0;
	}
	if (spec[0] == '[') {		/* [v6addr]:port */
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':') {
			snprintf(why, whylen, "expected [address]:port");
			return -1;
		}
		hlen = (size_t)(close - spec - 1);
		if (hlen == 0 || hlen >= sizeof(a->host)) {
			snprintf(why, whylen, "bad host");
			return -1;
		}
		memcpy(a->host, spec + 1, hlen);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || colon == spec) {
			snprintf(why, whylen, "expected an absolute socket path or host:port");
			return -1;
		}
		hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(a->host)) {
			snprintf(why, whylen, "host name too long");
			return -1;
		}
		memcpy(a->host, spec, hlen);
	}
	if (colon[1] == '\0' || strlen(colon + 1) >= sizeof(a->port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
		snprintf(why, whylen, "bad port '%s'", colon + 1);
		return -1;
	}
	snprintf(a->port, sizeof(a->port), "%s", colon + 1);
	return 0;
}

/* Connect with send/receive timeouts (Linux applies SO_SNDTIMEO to connect too). */
static int
clamd_connect(const struct mw_clamd_addr *a, long timeout_s, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = timeout_s, .tv_usec = 0 };
	int fd = -1;

	if (a->is_unix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			goto syserr;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			goto syserr;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			goto syserr;
		return fd;
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
		struct addrinfo *res = NULL, *ai;
		int gai, saved = 0;

		if ((gai = getaddrinfo(a->host, a->port, &hints, &res)) != 0) {
			snprintf(err, errlen, "clamd %s:%s: %s", a->host, a->port,
			    gai_strerror(gai));
			return -1;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol)) < 0) {
				saved = errno;
				continue;
			}
			if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
			    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
			    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			saved = errno;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd < 0) {
			snprintf(err, errlen, "clamd %s:%s: connect: %s", a->host, a->port,
			    strerror(saved));
			return -1;
		}
		return fd;
	}
syserr:
	snprintf(err, errlen, "clamd %s: %s", a->path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read clamd's NUL-terminated answer (or up to EOF) into buf. */
static int
read_reply(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len - 1) {
		r = recv(fd, buf + got, len - 1 - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (memchr(buf + got - (size_t)r, '\0', (size_t)r) != NULL)
			break;
	}
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\0'))
		buf[--got] = '\0';
	return got > 0 ? 0 : (errno = ECONNRESET, -1);
}

enum mw_clamd_status
mw_clamd_scan(const struct mw_clamd_addr *a, long timeout_s, const char *data, size_t len,
    char *name, size_t namelen, char *err, size_t errlen)
{
	static const char cmd[] = "zINSTREAM";	/* sent with its NUL */
	char reply[512];
	size_t off, n, rlen;
	uint32_t be;
	bool send_failed = false;
	int fd, saved = 0;

	if ((fd = clamd_connect(a, timeout_s, err, errlen)) < 0)
		return MW_CLAMD_ERROR;
	if (send_all(fd, cmd, sizeof(cmd)) < 0)
		send_failed = true;
	for (off = 0; !send_failed && off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		be = htonl((uint32_t)n);
		if (send_all(fd, &be, sizeof(be)) < 0 || send_all(fd, data + off, n) < 0)
			send_failed = true;
	}
	be = 0;
	if (!send_failed && send_all(fd, &be, sizeof(be)) < 0)
		send_failed = true;
	if (send_failed)
		saved = errno;
	/* clamd may have answered (and closed) early, e.g. on its stream size limit:
	 * its reason is more useful than our EPIPE. */
	if (read_reply(fd, reply, sizeof(reply)) < 0) {
		snprintf(err, errlen, "clamd: %s", strerror(send_failed ? saved : errno));
		close(fd);
		return MW_CLAMD_ERROR;
	}
	close(fd);

	rlen = strlen(reply);
	if (strcmp(reply, "stream: OK") == 0)
		return MW_CLAMD_CLEAN;
	if (rlen > 14 && strncmp(reply, "stream: ", 8) == 0 &&
	    strcmp(reply + rlen - 6, " FOUND") == 0) {
		snprintf(name, namelen, "%.*s", (int)(rlen - 14), reply + 8);
		return MW_CLAMD_FOUND;
	}
	if (rlen > 6 && strcmp(reply + rlen - 6, " ERROR") == 0)
		snprintf(err, errlen, "clamd: %.*s", (int)(rlen - 6), reply);
	else
		snprintf(err, errlen, "clamd: unexpected reply '%.100s'", reply);
	return MW_CLAMD_ERROR;
}

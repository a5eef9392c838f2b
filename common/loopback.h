/* loopback: the one definition of "this host is this machine", for privacy (a loopback
 * provider may get unscrubbed text), connect timeouts, the proxy bypass and config warnings.
 * Boundary: all arguments are borrowed; nothing is allocated. Pure string work, no DNS. */
#ifndef US_LOOPBACK_H
#define US_LOOPBACK_H

#include <stdbool.h>
#include <stddef.h>

/* Loopback hosts:
 *   - IPv4 127.0.0.0/8 in strict dotted-quad form (inet_pton: "127.1", octal or hex forms
 *     are not accepted, so they count as remote);
 *   - IPv6 ::1 in any spelling ("::1", "0:0:0:0:0:0:0:1", bracketed "[::1]"), and the
 *     IPv4-mapped ::ffff:127.x.y.z (the kernel routes it to 127.x.y.z);
 *   - the name "localhost", in any letter case, exactly.
 * Not loopback: "*.localhost" (RFC 6761 lets resolvers map it to loopback, but glibc without
 * systemd-resolved asks DNS, so it may be remote: wrongly calling a remote host loopback would
 * send it unscrubbed text), "localhost.", "localhost.example.com", "127.0.0.1.example.com",
 * zone ids ("[fe80::1%25lo]"), and anything unparsable. When in doubt: remote.
 * host is [host, host+len) without port or userinfo; brackets around IPv6 are optional. */
bool us_host_is_loopback(const char *host, size_t len);

/* Extract the host of url ("scheme://[userinfo@]host[:port]/...", or a bare
 * "host[:port][/...]") and test it. "http://127.0.0.1@example.com/" is remote: the host is
 * example.com. */
bool us_url_is_loopback(const char *url);

/* Find url's host: *host points into url (borrowed), *len its length, brackets kept for IPv6.
 * Returns false when url has no host. */
bool us_url_host(const char *url, const char **host, size_t *len);

#endif

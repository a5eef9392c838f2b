/* loopback: host extraction and the loopback test. */
#include "loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

bool us_url_host(const char *url, const char **host, size_t *len)
{
    if (!url)
        return false;
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t auth = strcspn(h, "/?#");
    for (size_t i = auth; i > 0; i--)
        if (h[i - 1] == '@') { /* userinfo is not the host; the last '@' ends it */
            h += i;
            auth -= i;
            break;
        }
    size_t n;
    if (h[0] == '[') {
        const char *e = memchr(h, ']', auth);
        if (!e)
            return false;
        n = (size_t)(e - h) + 1;
    } else {
        n = strcspn(h, ":");
        if (n > auth)
            n = auth;
    }
    if (n == 0)
        return false;
    *host = h;
    *len = n;
    return true;
}

bool us_host_is_loopback(const char *host, size_t len)
{
    if (!host)
        return false;
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, host, len);
    buf[len] = 0;
    if (strcasecmp(buf, "localhost") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

bool us_url_is_loopback(const char *url)
{
    const char *h;
    size_t n;
    return us_url_host(url, &h, &n) && us_host_is_loopback(h, n);
}

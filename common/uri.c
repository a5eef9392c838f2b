/* uri: URI-to-path. */
#include "uri.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [s, s+n) onto out. US_EPARSE on %00. */
static int decode(struct strbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            char c = (char)(hi * 16 + lo);
            if (!c)
                return US_EPARSE;
            sb_addc(out, c);
            i += 2;
        } else {
            sb_addc(out, s[i]);
        }
    }
    return 0;
}

int us_uri_to_path(const char *uri, char **path, bool *is_file)
{
    *path = NULL;
    if (is_file)
        *is_file = false;
    if (!uri)
        return US_EINVAL;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    size_t k = 0;
    if (!isalpha((unsigned char)uri[0]))
        return US_EINVAL;
    while (isalnum((unsigned char)uri[k]) || uri[k] == '+' || uri[k] == '-' || uri[k] == '.')
        k++;
    if (uri[k] != ':')
        return US_EINVAL;
    bool file = k == 4 && strncasecmp(uri, "file", 4) == 0;
    const char *p = uri + k + 1;
    size_t end = strcspn(p, "?#");
    struct strbuf sb;
    sb_init(&sb);
    if (end >= 2 && p[0] == '/' && p[1] == '/') {
        const char *auth = p + 2;
        size_t alen = strcspn(auth, "/?#");
        const char *rest = auth + alen;
        size_t rlen = end - 2 - alen;
        if (file && alen > 0 && !(alen == 9 && strncasecmp(auth, "localhost", 9) == 0)) {
            sb_add(&sb, "//", 2); /* file://host/p: keep the host, UNC style */
            if (decode(&sb, auth, alen) < 0)
                goto bad;
        }
        if (decode(&sb, rest, rlen) < 0)
            goto bad;
    } else if (decode(&sb, p, end) < 0) {
        goto bad;
    }
    if (is_file)
        *is_file = file;
    *path = sb_detach(&sb, NULL);
    return 0;
bad:
    sb_release(&sb);
    return US_EPARSE;
}

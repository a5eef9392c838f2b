/* test_uri_loopback: URI-to-path and the loopback definition, as tables. */
#include <stdbool.h>
#include <stdlib.h>

#include "base.h"
#include "check.h"
#include "loopback.h"
#include "uri.h"

static void uri_table(void)
{
    static const struct {
        const char *uri;
        int rc;
        const char *path; /* when rc == 0 */
        bool is_file;
    } t[] = {
        {"file:///home/a/x.py", 0, "/home/a/x.py", true},
        {"file:///home/a/my%20file.py", 0, "/home/a/my file.py", true},
        {"file:///a%2Fb", 0, "/a/b", true},            /* %2F decodes to the separator */
        {"file:///a%2fb%41", 0, "/a/bA", true},         /* lower-case hex */
        {"file:///100%", 0, "/100%", true},             /* a stray % stays */
        {"file:///a%zz", 0, "/a%zz", true},
        {"file:///a%2", 0, "/a%2", true},
        {"file:///a%00b", US_EPARSE, NULL, false},      /* a NUL never reaches a path */
        {"file:/tmp/x", 0, "/tmp/x", true},             /* no authority */
        {"file://localhost/etc/x", 0, "/etc/x", true},
        {"file://LOCALHOST/etc/x", 0, "/etc/x", true},
        {"file://server/share/x", 0, "//server/share/x", true}, /* UNC style, host kept */
        {"FILE:///x", 0, "/x", true},
        {"file:///c%3A/x", 0, "/c:/x", true},
        {"file:///a/b?q=1#frag", 0, "/a/b", true},      /* query and fragment dropped */
        {"file:///a/%23b", 0, "/a/#b", true},           /* an encoded '#' is a name */
        {"untitled:.env", 0, ".env", false},
        {"untitled:Untitled-1", 0, "Untitled-1", false},
        {"vscode-remote://ssh-remote+x/home/a/server.pem", 0, "/home/a/server.pem", false},
        {"vscode-remote://ssh-remote%2Bx/home/a/my%20key.pem", 0, "/home/a/my key.pem", false},
        {"git:/a/b.py?%7B%7D", 0, "/a/b.py", false},
        {"/plain/path", US_EINVAL, NULL, false},        /* not a URI */
        {"", US_EINVAL, NULL, false},
        {"1abc:x", US_EINVAL, NULL, false},
        {NULL, US_EINVAL, NULL, false},
    };
    for (size_t i = 0; i < US_ARRAY_LEN(t); i++) {
        char *path = (char *)"unset";
        bool is_file = !t[i].is_file;
        int rc = us_uri_to_path(t[i].uri, &path, &is_file);
        if (rc != t[i].rc)
            fprintf(stderr, "uri %s\n", t[i].uri ? t[i].uri : "(null)");
        CHECK_EQ_INT(rc, t[i].rc);
        if (t[i].rc == 0) {
            CHECK_EQ_STR(path, t[i].path);
            CHECK_EQ_INT(is_file, t[i].is_file);
        } else {
            CHECK(path == NULL);
        }
        free(path);
    }
    char *p;
    CHECK_EQ_INT(us_uri_to_path("file:///x", &p, NULL), 0); /* is_file may be NULL */
    free(p);
}

static void loopback_hosts(void)
{
    static const struct {
        const char *host;
        bool loopback;
    } t[] = {
        {"127.0.0.1", true},
        {"127.0.0.2", true},
        {"127.255.255.254", true},
        {"127.1.2.3", true},
        {"::1", true},
        {"[::1]", true},
        {"0:0:0:0:0:0:0:1", true},
        {"[0:0:0:0:0:0:0:1]", true},
        {"0000:0000:0000:0000:0000:0000:0000:0001", true},
        {"::ffff:127.0.0.1", true},       /* IPv4-mapped 127/8 reaches 127/8 */
        {"[::ffff:127.9.9.9]", true},
        {"localhost", true},
        {"LOCALHOST", true},
        {"LocalHost", true},
        {"localhost.example.com", false},
        {"foo.localhost", false},         /* RFC 6761 allows it; glibc may ask DNS: remote */
        {"localhost.", false},
        {"127.0.0.1.example.com", false},
        {"128.0.0.1", false},
        {"126.255.255.255", false},
        {"10.0.0.1", false},
        {"0.0.0.0", false},
        {"::", false},
        {"::2", false},
        {"::ffff:10.0.0.1", false},
        {"127.1", false},                 /* short forms are not accepted */
        {"0177.0.0.1", false},
        {"127.0.0.256", false},
        {"[::1", false},
        {"[fe80::1%25lo]", false},
        {"", false},
        {"example.com", false},
    };
    for (size_t i = 0; i < US_ARRAY_LEN(t); i++) {
        bool got = us_host_is_loopback(t[i].host, strlen(t[i].host));
        if (got != t[i].loopback)
            fprintf(stderr, "host %s: got %d\n", t[i].host, got);
        CHECK_EQ_INT(got, t[i].loopback);
    }
    CHECK(!us_host_is_loopback(NULL, 0));
}

static void loopback_urls(void)
{
    static const struct {
        const char *url;
        bool loopback;
    } t[] = {
        {"http://127.0.0.1:11434", true},
        {"http://127.0.0.2/v1", true},
        {"https://localhost/v1", true},
        {"http://LOCALHOST:8080/", true},
        {"http://[::1]:8080/v1", true},
        {"http://[0:0:0:0:0:0:0:1]/", true},
        {"http://user:pw@127.0.0.1:1/", true},
        {"http://127.0.0.1", true},
        {"http://localhost?x", true},
        {"localhost:11434", true},        /* no scheme */
        {"http://localhost.example.com/", false},
        {"http://127.0.0.1.example.com/", false},
        {"http://127.0.0.1@example.com/", false}, /* userinfo, host is example.com */
        {"http://example.com/127.0.0.1", false},
        {"http://example.com?h=localhost", false},
        {"https://api.anthropic.com/v1", false},
        {"http://128.0.0.1/", false},
        {"http://[::1/", false},
        {"http://", false},
        {"", false},
    };
    for (size_t i = 0; i < US_ARRAY_LEN(t); i++) {
        bool got = us_url_is_loopback(t[i].url);
        if (got != t[i].loopback)
            fprintf(stderr, "url %s: got %d\n", t[i].url, got);
        CHECK_EQ_INT(got, t[i].loopback);
    }
    CHECK(!us_url_is_loopback(NULL));
    const char *h;
    size_t n;
    CHECK(us_url_host("https://u@[::1]:9/x", &h, &n));
    CHECK_EQ_INT(n, 5);
    CHECK(strncmp(h, "[::1]", 5) == 0);
}

#define TESTS(X) X(uri_table) X(loopback_hosts) X(loopback_urls)
CHECK_MAIN(TESTS)

/* exec_floor: the start-up floor -- a program that links libcurl (and so loads the same shared
 * libraries Understudy does) and exits at once; spawn-to-exit is what any such server pays. */
#include <curl/curl.h>

int main(void)
{
    /* Touch the library so the linker keeps it even with --as-needed. */
    return curl_version() ? 0 : 1;
}

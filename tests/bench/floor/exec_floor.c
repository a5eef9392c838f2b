/* exec_floor: the start-up floor -- a program that links libcurl (and so loads the same shared
 * libraries Understudy does) and exits at once; spawn-to-exit is what any such server pays. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

/* With --rss it prints its own resident set (the VmRSS line of /proc/self/status): the memory
 * floor of a process that has loaded libcurl and its dependencies. */
int main(int argc, char **argv)
{
    /* Touch the library so the linker keeps it even with --as-needed. */
    if (!curl_version())
        return 1;
    if (argc > 1 && !strcmp(argv[1], "--rss")) {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof(line), f))
            if (!strncmp(line, "VmRSS:", 6))
                fputs(line, stdout);
        if (f)
            fclose(f);
    }
    return 0;
}

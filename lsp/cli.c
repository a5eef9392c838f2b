/* cli: `understudy complete` and `understudy doctor`. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "config.h"

/* Split FILE:LINE:COL from the right so paths may contain ':'. */
static int parse_target(const char *arg, char **path, long *line, long *col)
{
    const char *c2 = strrchr(arg, ':');
    if (!c2 || c2 == arg)
        return US_EINVAL;
    const char *c1 = c2 - 1;
    while (c1 > arg && *c1 != ':')
        c1--;
    if (c1 == arg)
        return US_EINVAL;
    char *end;
    *line = strtol(c1 + 1, &end, 10);
    if (end != c2 || *line < 1)
        return US_EINVAL;
    *col = strtol(c2 + 1, &end, 10);
    if (*end || *col < 1)
        return US_EINVAL;
    *path = xstrndup(arg, (size_t)(c1 - arg));
    return 0;
}

int cli_complete(struct lsp_config *cfg, int argc, char **argv, bool json_out)
{
    int status = 2;
    char *path = NULL;
    long line, col;
    if (argc != 1 || parse_target(argv[0], &path, &line, &col) < 0) {
        fprintf(stderr, "understudy complete: expected FILE:LINE:COL (1-based), e.g. "
                        "src/main.c:12:5\n");
        goto out;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "understudy complete: cannot open %s: %s\n", path, strerror(errno));
        goto out;
    }
    fclose(f);
    if (json_out)
        printf("{\"suggestion\":null,\"source\":null,\"reason\":\"no provider configured\"}\n");
    else
        printf("no suggestion: no provider configured\nsource: none\n");
    status = 1;
out:
    free(path);
    lsp_config_free(cfg);
    return status;
}

int cli_doctor(struct lsp_config *cfg, int argc, char **argv)
{
    printf("%-16s %-18s %s\n", "PROVIDER", "KIND", "STATUS");
    for (size_t i = 0; i < cfg->settings.n_providers; i++)
        printf("%-16s %-18s %s\n", cfg->settings.providers[i].name,
               cfg->settings.providers[i].kind, "not checked");
    printf("%-16s %-18s %s\n", "local", "local", "ok");
    lsp_config_free(cfg);
    return 0;
}

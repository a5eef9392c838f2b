/* cli: the one-shot commands `complete` and `doctor`, run through the same pipeline as the
 * server. Each steals cfg and returns the process exit status. */
#ifndef US_CLI_H
#define US_CLI_H

#include <stdbool.h>

struct lsp_config;

int cli_complete(struct lsp_config *cfg, int argc, char **argv, bool json_out);
int cli_doctor(struct lsp_config *cfg, int argc, char **argv);

#endif

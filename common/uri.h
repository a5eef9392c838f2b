/* uri: the one URI-to-path conversion. file URIs become local paths; any other scheme gives its
 * path component, so exclusion globs still match names ("untitled:.env" -> ".env").
 * Boundary: uri is borrowed; *path is the caller's to free() (NULL on error). */
#ifndef US_URI_H
#define US_URI_H

#include <stdbool.h>

/* Decode uri's path. Rules (RFC 8089 / 3986):
 *   file:///p and file:/p          -> /p
 *   file://localhost/p (any case)  -> /p
 *   file://host/p                  -> //host/p   (a UNC-style path: kept, never mistaken for /p)
 *   other:rest                     -> rest's path: "untitled:.env" -> ".env";
 *                                     "vscode-remote://ssh-remote+x/home/a/k.pem" -> "/home/a/k.pem"
 * The query ("?...") and fragment ("#...") are dropped; %XX escapes are decoded everywhere
 * (%2F becomes '/', the separator: no file name holds one); a '%' not followed by two hex
 * digits is kept as is. *is_file (may be NULL) says whether the scheme was file.
 * Returns 0; US_EINVAL for NULL or a string without a scheme; US_EPARSE when the path would
 * hold a NUL (%00). */
int us_uri_to_path(const char *uri, char **path, bool *is_file);

#endif

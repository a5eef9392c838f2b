/* ignore: the subset of .gitignore syntax the workspace indexer honours, so that build output,
 * vendored trees and secrets the user already excludes from git never reach the local engine.
 * Supported: blank lines and '#' comments, trailing-space trimming, '\' escapes of a leading
 * '#' or '!', negation '!', directory-only 'dir/', anchoring by a leading or inner '/', the
 * wildcards '*', '?', '[a-z]' / '[!a-z]', and '**' as a leading "**" + "/", a trailing
 * "/" + "**" or an inner "/" + "**" + "/" (any number of directories). The last matching rule wins, and a path inside an
 * ignored directory is ignored (git cannot re-include it either). Not supported: per-user
 * excludes files (core.excludesFile, .git/info/exclude) and case folding. */
#ifndef US_LOCAL_IGNORE_H
#define US_LOCAL_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

struct ign_list;

struct ign_list *ign_new(void);
void ign_free(struct ign_list *l);

/* Add the rules of one .gitignore file (text borrowed, copied as needed) found in the folder
 * `base`, relative to the root with '/' separators and no leading or trailing '/' ("" = root).
 * Its rules only apply to paths under base. */
void ign_add(struct ign_list *l, const char *text, size_t len, const char *base);

/* Is relpath (relative to the root, '/'-separated, no leading '/') ignored? is_dir tells
 * whether relpath itself is a directory. Checks its parent directories too. */
bool ign_match(const struct ign_list *l, const char *relpath, bool is_dir);

/* Like ign_match but for one entry whose parents are known not to be ignored (the walker). */
bool ign_match_entry(const struct ign_list *l, const char *relpath, bool is_dir);

/* Glob match with '/'-aware '*' and '**' as described above (exposed for tests). */
bool ign_glob(const char *pattern, const char *path);

#endif

/* ignore: one matcher with gitignore semantics, for the workspace walk (the root and nested
 * .gitignore files) and for privacy (.understudyignore and privacy.exclude; the .gitignore
 * rules do not apply there: build one list per purpose). Supported: blank lines and '#'
 * comments, trailing-space trimming, '\' escapes of a leading '#' or '!', negation '!',
 * directory-only 'dir/', anchoring by a leading or inner '/', the wildcards '*', '?',
 * '[a-z]' / '[!a-z]', and '**' as a leading "**" + "/", a trailing "/" + "**" or an inner
 * "/" + "**" + "/" (any number of directories); other "**" are two plain stars. The last
 * matching rule wins, and a path inside an ignored directory is ignored (git cannot re-include
 * it either). Not supported: per-user excludes files (core.excludesFile, .git/info/exclude)
 * and case folding. */
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

/* Add one pattern written as in a root ignore file (privacy.exclude entries): borrowed. */
void ign_add_pattern(struct ign_list *l, const char *pattern);

/* Add the rules of the file at path (read now, at most 1 MiB) as ign_add with base. Returns 0,
 * US_ENOENT (no such file: nothing added), US_EIO or US_ETOOBIG. */
int ign_add_file(struct ign_list *l, const char *path, const char *base);

/* How many rules the list holds. */
size_t ign_count(const struct ign_list *l);

/* Is relpath (relative to the root, '/'-separated, no leading '/') ignored? is_dir tells
 * whether relpath itself is a directory. Checks its parent directories too. */
bool ign_match(const struct ign_list *l, const char *relpath, bool is_dir);

/* Like ign_match but for one entry whose parents are known not to be ignored (the walker). */
bool ign_match_entry(const struct ign_list *l, const char *relpath, bool is_dir);

/* For an absolute path (or any path) and the workspace root: inside the root, ign_match on the
 * path relative to it; outside it (another folder, or a non-file URI's path such as ".env"
 * from "untitled:.env"), only the rules without a slash apply, to each component's name. */
bool ign_match_path(const struct ign_list *l, const char *path, const char *root, bool is_dir);

/* Glob match with '/'-aware '*' and '**' as described above (exposed for tests). */
bool ign_glob(const char *pattern, const char *path);

#endif

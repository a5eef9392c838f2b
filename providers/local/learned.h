/* learned: the lines the star spoke. Accepted AI suggestions, keyed by where they were accepted
 * (the previous code line and the cursor line's text before the cursor, blanks trimmed), so
 * that offline the engine offers the same line in the same place. Bounded by bytes, least
 * recently used out; saved to and loaded from one file per workspace. Texts given are
 * borrowed and copied; callers mask secrets before adding (local engine: privacy_mask). */
#ifndef US_LOCAL_LEARNED_H
#define US_LOCAL_LEARNED_H

#include <stdbool.h>
#include <stddef.h>

struct learned;

/* max_bytes 0 = 2 MiB. */
struct learned *learned_new(size_t max_bytes);
void learned_free(struct learned *l);

/* Called with each entry's key and text when it is added (delta +1) or dropped (delta -1), so
 * a model can count it in or out (lines.c's n-gram). */
typedef void (*learned_fn)(void *ud, const char *key, size_t kn, const char *text, size_t tn,
                           int delta);
void learned_set_hook(struct learned *l, learned_fn fn, void *ud);

/* The key of a cursor: from the text before it (borrowed; only its last lines are read). */
size_t learned_key(const char *before, size_t n, char *out, size_t cap);

/* What an accepted suggestion is kept as, into out: the suggestion, after the blanks that
 * stood before the cursor when only blanks did (the key leaves them out, so the line keeps
 * its own level). */
struct strbuf;
void learned_text_of(const char *before, size_t n, const char *suggestion, size_t sn,
                     struct strbuf *out);
/* The part of a kept text t to offer at the cursor ending before[0, n): past the blanks
 * already typed at a line start; NULL when the cursor stands past them or beside other
 * blanks (another level). */
const char *learned_text_at(const char *before, size_t n, const char *t, size_t tn,
                            size_t *out_n);

/* Remember text (its first line at most 400 bytes; further lines up to 1 KiB) under key.
 * Replaces an entry with the same key and text (it becomes the most recent). */
void learned_add(struct learned *l, const char *key, size_t kn, const char *text, size_t tn);

/* The most recent text learned under key (exact), or else under the same cursor line (3+
 * non-blank bytes) after a previous line of the same shape (identifiers after its first word
 * abstracted), or else under the same cursor line alone when it holds 16+ non-blank bytes.
 * Borrowed until the next learned_* call; NULL when none. */
const char *learned_find(struct learned *l, const char *key, size_t kn, size_t *tn);

size_t learned_bytes(const struct learned *l);
size_t learned_count(const struct learned *l);

/* Save (atomically: a temporary file renamed) and load. Load adds to what is there, oldest
 * first, so the file's order of use survives. Return 0 or a negative US_E* code. */
int learned_save(const struct learned *l, const char *path);
int learned_load(struct learned *l, const char *path);

#endif

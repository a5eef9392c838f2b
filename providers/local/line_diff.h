/* line_diff: which lines changed between two versions of a text, so that models counting a
 * document line by line (lines.c, words.c) re-count only those on an update.
 * Boundary: pure function of its inputs; both texts are borrowed for the call. */
#ifndef US_LOCAL_LINE_DIFF_H
#define US_LOCAL_LINE_DIFF_H

#include <stddef.h>

/* A run of changed lines: [old_start, old_end) of the old text became [new_start, new_end) of
 * the new one. Starts are line starts; ends are a line's '\n', the byte after it, or the end. */
struct line_change {
    size_t old_start, old_end, new_start, new_end;
};

typedef void (*line_change_fn)(const struct line_change *c, void *ud);

/* Calls fn for each run of changed lines, first to last, each followed by `after` unchanged
 * lines (a model whose counts of a line depend on the line above re-counts the next one too).
 * Edits in several places that keep the line count (a keystroke here, another there, as
 * between two ghost-text requests) give one run each, not one run spanning the lines between
 * them; when lines were added or removed, one run covers everything from the first change to
 * the last. Returns the number of runs (0: the texts are equal). */
size_t line_diff(const char *old, size_t old_len, const char *new_text, size_t new_len,
                 int after, line_change_fn fn, void *ud);

#endif

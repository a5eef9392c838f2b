/* doc_window: the part of a big open document that the line model learns. Learning a whole
 * 876 KB file held the first ghost text 50-70 ms on the loop (a 2 MiB one ~150 ms). A big
 * document is learned from DOC_WINDOW_BYTES around the cursor first (~20 ms), and the window
 * grows towards wherever the cursor goes, by at most DOC_WINDOW_BYTES a request, so a document
 * is still counted once, piece by piece, and an edit re-counts only its lines (a window that
 * moved instead would be counted again at each jump). Past DOC_WINDOW_MAX it starts afresh
 * around the cursor. Lines typed inside it widen it. */
#ifndef US_LOCAL_DOC_WINDOW_H
#define US_LOCAL_DOC_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#define DOC_WINDOW_BYTES (256u * 1024)
#define DOC_WINDOW_MAX (1024u * 1024)

struct doc_window {
    size_t first, end; /* lines [first, end) of the text last seen (end 0: no window yet) */
    size_t lines;      /* that text's line count */
    bool all;          /* it has grown over the whole text: it stays so up to DOC_WINDOW_MAX
                          (no line counting on every keystroke) */
};

/* The byte range [*a, *b) of text to learn with the cursor on line cursor_line (0-based): all
 * of a text up to DOC_WINDOW_BYTES, else whole lines: the window w carries from call to call,
 * grown towards the cursor's DOC_WINDOW_BYTES (three fifths of them before its line). */
void doc_window_pick(struct doc_window *w, const char *text, size_t len, size_t cursor_line,
                     size_t *a, size_t *b);

#endif

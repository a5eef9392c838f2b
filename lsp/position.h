/* position: the one place where LSP positions (line + UTF-16 or UTF-8 column) and byte offsets
 * into a UTF-8 document meet. Line ends are "\n", "\r\n" and a lone "\r" (LSP 3.17); positions
 * past the end of a line or of the document are clamped as the spec says.
 * Boundary: a line_index is a value its holder owns (line_index_release); texts are borrowed
 * for each call; positions and offsets are plain values. */
#ifndef US_POSITION_H
#define US_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pos_encoding { POS_UTF16, POS_UTF8 };

struct lsp_pos {
    uint32_t line;
    uint32_t character;
};

/* Start offsets of every line of a text. Owned by whoever embeds it; init with
 * line_index_init, rebuild after each change, release with line_index_release. Offsets are
 * 32-bit: every open document keeps one, and half the bytes matter with a hundred files open
 * (documents are capped far below 4 GiB, DOC_DEFAULT_MAX_BYTES; a longer text aborts). */
struct line_index {
    uint32_t *starts; /* starts[0] == 0; one entry per line */
    size_t count;
    size_t cap;
    bool lone_cr;   /* the text has a "\r" not followed by "\n" */
};

void line_index_init(struct line_index *li);
void line_index_release(struct line_index *li);
void line_index_build(struct line_index *li, const char *text, size_t len);

/* Byte offset of the end of line `line`'s content (before its terminator). */
size_t line_content_end(const struct line_index *li, const char *text, size_t len, uint32_t line);

/* LSP position -> byte offset, clamped to the line's content and to the document. A column
 * landing inside a character (half a surrogate pair) snaps to that character's start. */
size_t pos_to_offset(const struct line_index *li, const char *text, size_t len,
                     struct lsp_pos pos, enum pos_encoding enc);

/* Byte offset -> LSP position (offset clamped to len). */
struct lsp_pos pos_from_offset(const struct line_index *li, const char *text, size_t len,
                               size_t offset, enum pos_encoding enc);

/* Length in bytes of the UTF-8 sequence starting at p (1 for an invalid byte), and the number
 * of UTF-16 code units it stands for. */
size_t utf8_char_len(const unsigned char *p, size_t avail, unsigned *utf16_units);

/* tree-sitter's point for an offset: row counts "\n" only, column in bytes. */
void pos_ts_point(const struct line_index *li, const char *text, size_t offset, uint32_t *row,
                  uint32_t *column);

#endif

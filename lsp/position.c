/* position: UTF-16/UTF-8 columns <-> byte offsets. */
#include "position.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

void line_index_init(struct line_index *li)
{
    memset(li, 0, sizeof(*li));
}

void line_index_release(struct line_index *li)
{
    free(li->starts);
    line_index_init(li);
}

static void push_start(struct line_index *li, size_t off)
{
    if (off > UINT32_MAX)
        abort(); /* a caller broke the 4 GiB contract (position.h) */
    if (li->count == li->cap) {
        li->cap = li->cap ? li->cap * 2 : 64;
        li->starts = xrealloc(li->starts, li->cap * sizeof(*li->starts));
    }
    li->starts[li->count++] = (uint32_t)off;
}

void line_index_build(struct line_index *li, const char *text, size_t len)
{
    li->count = 0;
    li->lone_cr = false;
    push_start(li, 0);
    const char *p = text, *end = text + len;
    while (p < end) {
        /* memchr for '\n' is fast; lone '\r' is rare, so look for it only when present. */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *cr = memchr(p, '\r', (size_t)((nl ? nl : end) - p));
        if (cr && !(cr + 1 < end && cr[1] == '\n')) {
            li->lone_cr = true;
            push_start(li, (size_t)(cr + 1 - text));
            p = cr + 1;
            continue;
        }
        if (cr && cr + 1 == nl) {
            push_start(li, (size_t)(nl + 1 - text));
            p = nl + 1;
            continue;
        }
        if (!nl)
            break;
        push_start(li, (size_t)(nl + 1 - text));
        p = nl + 1;
    }
}

size_t line_content_end(const struct line_index *li, const char *text, size_t len, uint32_t line)
{
    if (line + 1 >= li->count)
        return len;
    size_t e = li->starts[line + 1];
    if (e > 0 && text[e - 1] == '\n')
        e--;
    if (e > li->starts[line] && text[e - 1] == '\r')
        e--;
    return e;
}

size_t utf8_char_len(const unsigned char *p, size_t avail, unsigned *utf16_units)
{
    unsigned char c = p[0];
    size_t n;
    *utf16_units = 1;
    if (c < 0x80)
        return 1;
    else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
        n = 2;
    else if ((c & 0xF0) == 0xE0)
        n = 3;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 1; /* invalid lead byte counts as one unit */
    if (n > avail)
        return 1;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 1;
    /* Reject overlong 3-byte forms and surrogates, overlong/too-large 4-byte forms. */
    if (n == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
        return 1;
    if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
        return 1;
    if (n == 4)
        *utf16_units = 2;
    return n;
}

size_t pos_to_offset(const struct line_index *li, const char *text, size_t len,
                     struct lsp_pos pos, enum pos_encoding enc)
{
    if (pos.line >= li->count)
        return len;
    size_t off = li->starts[pos.line];
    size_t end = line_content_end(li, text, len, pos.line);
    if (enc == POS_UTF8) {
        if (pos.character >= end - off)
            return end;
        size_t want = off + pos.character;
        /* Walk characters so a column inside a multi-byte sequence snaps to its start. */
        while (off < want) {
            unsigned u;
            size_t cl = utf8_char_len((const unsigned char *)text + off, end - off, &u);
            if (off + cl > want)
                break;
            off += cl;
        }
        return off;
    }
    uint32_t units = 0;
    while (off < end && units < pos.character) {
        unsigned u;
        size_t cl = utf8_char_len((const unsigned char *)text + off, end - off, &u);
        if (units + u > pos.character)
            break; /* inside a surrogate pair: stay at the character's start */
        units += u;
        off += cl;
    }
    return off;
}

static uint32_t line_of_offset(const struct line_index *li, size_t offset)
{
    size_t lo = 0, hi = li->count;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (li->starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

struct lsp_pos pos_from_offset(const struct line_index *li, const char *text, size_t len,
                               size_t offset, enum pos_encoding enc)
{
    if (offset > len)
        offset = len;
    struct lsp_pos pos;
    pos.line = line_of_offset(li, offset);
    size_t off = li->starts[pos.line];
    size_t end = line_content_end(li, text, len, pos.line);
    if (offset > end)
        offset = end; /* inside a "\r\n" terminator */
    if (enc == POS_UTF8) {
        pos.character = (uint32_t)(offset - off);
        return pos;
    }
    uint32_t units = 0;
    while (off < offset) {
        unsigned u;
        size_t cl = utf8_char_len((const unsigned char *)text + off, end - off, &u);
        units += u;
        off += cl;
    }
    pos.character = units;
    return pos;
}

void pos_ts_point(const struct line_index *li, const char *text, size_t offset, uint32_t *row,
                  uint32_t *column)
{
    if (!li->lone_cr) {
        uint32_t line = line_of_offset(li, offset);
        size_t start = li->starts[line];
        /* An offset between "\r" and "\n" belongs to the line before for tree-sitter too. */
        *row = line;
        *column = (uint32_t)(offset - start);
        return;
    }
    uint32_t r = 0;
    size_t last = 0;
    for (size_t i = 0; i < offset; i++)
        if (text[i] == '\n') {
            r++;
            last = i + 1;
        }
    *row = r;
    *column = (uint32_t)(offset - last);
}

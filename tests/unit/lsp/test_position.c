/* Position conversion: UTF-16 and UTF-8 columns, surrogate pairs, CRLF and lone CR, clamping. */
#include <string.h>

#include "check.h"
#include "position.h"

static struct line_index li;

static void build(const char *t)
{
    line_index_release(&li);
    line_index_init(&li);
    line_index_build(&li, t, strlen(t));
}

static size_t off(const char *t, uint32_t line, uint32_t ch, enum pos_encoding enc)
{
    struct lsp_pos p = {line, ch};
    return pos_to_offset(&li, t, strlen(t), p, enc);
}

static void line_ends(void)
{
    const char *t = "a\nbb\r\nccc\rd";
    build(t);
    CHECK_EQ_INT(li.count, 4);
    CHECK_EQ_INT(li.starts[1], 2);
    CHECK_EQ_INT(li.starts[2], 6);
    CHECK_EQ_INT(li.starts[3], 10);
    CHECK(li.lone_cr);
    CHECK_EQ_INT(line_content_end(&li, t, strlen(t), 1), 4);
    CHECK_EQ_INT(line_content_end(&li, t, strlen(t), 2), 9);
    build("x\r\n");
    CHECK_EQ_INT(li.count, 2);
    CHECK(!li.lone_cr);
}

static void utf16_columns(void)
{
    /* é = 2 bytes/1 unit, 中 = 3 bytes/1 unit, 😀 = 4 bytes/2 units */
    const char *t = "é中😀z";
    build(t);
    CHECK_EQ_INT(off(t, 0, 0, POS_UTF16), 0);
    CHECK_EQ_INT(off(t, 0, 1, POS_UTF16), 2);
    CHECK_EQ_INT(off(t, 0, 2, POS_UTF16), 5);
    CHECK_EQ_INT(off(t, 0, 3, POS_UTF16), 5); /* inside the surrogate pair: snaps back */
    CHECK_EQ_INT(off(t, 0, 4, POS_UTF16), 9);
    CHECK_EQ_INT(off(t, 0, 5, POS_UTF16), 10);
    CHECK_EQ_INT(off(t, 0, 99, POS_UTF16), 10);
    struct lsp_pos p = pos_from_offset(&li, t, strlen(t), 9, POS_UTF16);
    CHECK_EQ_INT(p.character, 4);
    p = pos_from_offset(&li, t, strlen(t), 9, POS_UTF8);
    CHECK_EQ_INT(p.character, 9);
}

static void utf8_columns(void)
{
    const char *t = "é中😀z";
    build(t);
    CHECK_EQ_INT(off(t, 0, 2, POS_UTF8), 2);
    CHECK_EQ_INT(off(t, 0, 3, POS_UTF8), 2); /* inside 中: snaps to its start */
    CHECK_EQ_INT(off(t, 0, 5, POS_UTF8), 5);
    CHECK_EQ_INT(off(t, 0, 7, POS_UTF8), 5);
    CHECK_EQ_INT(off(t, 0, 9, POS_UTF8), 9);
    CHECK_EQ_INT(off(t, 0, 50, POS_UTF8), 10);
}

static void clamping(void)
{
    const char *t = "ab\r\ncd";
    build(t);
    CHECK_EQ_INT(off(t, 0, 5, POS_UTF16), 2); /* past the line end: before "\r\n" */
    CHECK_EQ_INT(off(t, 7, 0, POS_UTF16), 6); /* past the last line: document end */
    struct lsp_pos p = pos_from_offset(&li, t, strlen(t), 3, POS_UTF16); /* between \r and \n */
    CHECK_EQ_INT(p.line, 0);
    CHECK_EQ_INT(p.character, 2);
    p = pos_from_offset(&li, t, strlen(t), 100, POS_UTF16);
    CHECK_EQ_INT(p.line, 1);
    CHECK_EQ_INT(p.character, 2);
}

static void invalid_utf8_counts_bytes(void)
{
    const char t[] = {'a', (char)0xff, (char)0xc3, 'b', 0};
    build(t);
    CHECK_EQ_INT(off(t, 0, 2, POS_UTF16), 2);
    CHECK_EQ_INT(off(t, 0, 3, POS_UTF16), 3);
    CHECK_EQ_INT(off(t, 0, 4, POS_UTF16), 4);
}

static void roundtrip_everywhere(void)
{
    const char *t = "x😀\r\n\té中\ry\n\n😀😀";
    build(t);
    size_t n = strlen(t);
    for (size_t o = 0; o <= n; o++) {
        /* only offsets at character starts and not inside "\r\n" */
        if (o < n && ((unsigned char)t[o] & 0xC0) == 0x80)
            continue;
        if (o > 0 && t[o - 1] == '\r' && t[o] == '\n')
            continue;
        for (int e = 0; e < 2; e++) {
            enum pos_encoding enc = e ? POS_UTF8 : POS_UTF16;
            struct lsp_pos p = pos_from_offset(&li, t, n, o, enc);
            CHECK_EQ_INT(pos_to_offset(&li, t, n, p, enc), o);
        }
    }
}

static void ts_points(void)
{
    const char *t = "ab\ncd\r\nef";
    build(t);
    uint32_t r, c;
    pos_ts_point(&li, t, 8, &r, &c);
    CHECK_EQ_INT(r, 2);
    CHECK_EQ_INT(c, 1);
    const char *u = "a\rb\nc"; /* lone CR: tree-sitter does not count it as a row */
    build(u);
    pos_ts_point(&li, u, 4, &r, &c);
    CHECK_EQ_INT(r, 1);
    CHECK_EQ_INT(c, 0);
    pos_ts_point(&li, u, 2, &r, &c);
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_INT(c, 2);
}

#define TESTS(X)                                                                          \
    X(line_ends) X(utf16_columns) X(utf8_columns) X(clamping) X(invalid_utf8_counts_bytes) \
    X(roundtrip_everywhere) X(ts_points)
CHECK_MAIN(TESTS)

/* fuzz_position: LSP positions <-> byte offsets on arbitrary bytes (invalid UTF-8, lone CR,
 * CR LF, surrogate-pair characters): every character boundary survives a round trip in both
 * encodings, and any position, however wild, maps to an offset inside the text. */
#include <stdint.h>

#include "fuzz_util.h"
#include "position.h"

/* Independent reference for the line table: "\r\n", "\n" and a lone "\r" end a line. */
static size_t ref_line_count(const char *t, size_t n)
{
    size_t lines = 1;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\r' && i + 1 < n && t[i + 1] == '\n')
            i++;
        if (t[i] == '\n' || t[i] == '\r')
            lines++;
    }
    return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct line_index li;
    line_index_init(&li);
    line_index_build(&li, text, size);
    FZ_ASSERT(li.count == ref_line_count(text, size), "line count %zu, expected %zu", li.count,
              ref_line_count(text, size));
    FZ_ASSERT(li.starts[0] == 0, "first line does not start at 0");
    for (size_t l = 1; l < li.count; l++)
        FZ_ASSERT(li.starts[l] > li.starts[l - 1] && li.starts[l] <= size,
                  "line starts not increasing at %zu", l);

    /* Walk every line character by character (utf8_char_len decides what a character is) and
     * check both encodings map each boundary there and back. */
    for (uint32_t l = 0; l < li.count; l++) {
        size_t off = li.starts[l];
        size_t end = line_content_end(&li, text, size, l);
        FZ_ASSERT(end >= off && end <= size, "line %u content end out of range", l);
        uint32_t col16 = 0;
        for (;;) {
            for (int e = 0; e < 2; e++) {
                enum pos_encoding enc = e ? POS_UTF8 : POS_UTF16;
                struct lsp_pos p = pos_from_offset(&li, text, size, off, enc);
                FZ_ASSERT(p.line == l, "offset %zu: line %u, expected %u", off, p.line, l);
                uint32_t want = enc == POS_UTF8 ? (uint32_t)(off - li.starts[l]) : col16;
                FZ_ASSERT(p.character == want, "offset %zu enc %d: column %u, expected %u", off,
                          e, p.character, want);
                size_t back = pos_to_offset(&li, text, size, p, enc);
                FZ_ASSERT(back == off, "round trip %zu -> (%u,%u) -> %zu (enc %d)", off, p.line,
                          p.character, back, e);
            }
            if (off >= end)
                break;
            unsigned u;
            size_t cl = utf8_char_len((const unsigned char *)text + off, end - off, &u);
            FZ_ASSERT(cl >= 1 && cl <= 4 && off + cl <= end, "bad char length %zu at %zu", cl,
                      off);
            FZ_ASSERT(u == (cl == 4 ? 2u : 1u), "utf16 units %u for a %zu-byte char", u, cl);
            off += cl;
            col16 += u;
        }
        /* Past the end of the line clamps to the line's end (not into the next line). */
        struct lsp_pos far = {l, UINT32_MAX};
        FZ_ASSERT(pos_to_offset(&li, text, size, far, POS_UTF16) == end, "clamp utf16 line %u", l);
        FZ_ASSERT(pos_to_offset(&li, text, size, far, POS_UTF8) == end, "clamp utf8 line %u", l);
    }

    /* Wild positions and offsets: always inside the text. */
    uint64_t seed = fz_seed(data, size);
    for (int i = 0; i < 64; i++) {
        uint64_t r = fz_next(&seed);
        struct lsp_pos p = {(uint32_t)(r & 0xff) | ((r & 0x100) ? 0xffffff00u : 0),
                            (uint32_t)((r >> 16) & 0xfff) | ((r & 0x200) ? 0xfffff000u : 0)};
        for (int e = 0; e < 2; e++) {
            size_t o = pos_to_offset(&li, text, size, p, e ? POS_UTF8 : POS_UTF16);
            FZ_ASSERT(o <= size, "offset %zu past the end %zu", o, size);
        }
        size_t o = (size_t)(r >> 32) % (size + 2);
        struct lsp_pos q = pos_from_offset(&li, text, size, o, POS_UTF16);
        FZ_ASSERT(q.line < li.count, "line %u out of range", q.line);
        uint32_t row, column;
        if (o <= size) {
            pos_ts_point(&li, text, o, &row, &column);
            FZ_ASSERT(column <= o, "ts column %u past offset %zu", column, o);
        }
    }
    line_index_release(&li);
    return 0;
}

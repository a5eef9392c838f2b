/* fuzz_local: the offline engine (providers/local) on arbitrary text. The engine answers every
 * popup and ghost request when no provider is up, from models it builds out of the user's
 * files, so whatever a file holds must not crash it. The first byte picks the language, the
 * rest is a document; a 0xFF byte ends it, and up to 8 bytes after it are typed at one cursor,
 * one at a time; then an AI answer is accepted there. At each step the document is updated,
 * parsed and analyzed as the server does, and both kinds of request are made. Oracle besides
 * "no crash, no leak, no UB": items have a label and an insert text, and ghost text holds no
 * NUL. */
#include <ctype.h>
#include <stdint.h>
#include <uv.h>

#include "base.h"
#include "fuzz_util.h"
#include "languages.h"
#include "local.h"
#include "provider.h"
#include "settings.h"
#include "syntax.h"

static uv_loop_t loop;

/* The start of the UTF-8 character holding byte i (the server's offsets are characters'). */
static size_t char_start(const char *t, size_t i)
{
    while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static void ask(struct local_engine *e, const struct lang_info *lang, const char *text,
                size_t len, size_t cursor, uint64_t edit)
{
    const char *uri = "file:///fuzz/doc";
    local_engine_doc_update(e, uri, lang->name, text, len);
    struct syn_doc *sd = syn_doc_new(lang, text, len);
    struct syn_cursor cur;
    syn_doc_analyze(sd, (uint32_t)cursor, &cur);
    size_t ls = cursor, ps = cursor;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    while (ps > ls && cursor - ps < 64 &&
           (isalnum((unsigned char)text[ps - 1]) || text[ps - 1] == '_' || text[ps - 1] == '$'))
        ps--;
    char partial[72];
    memcpy(partial, text + ps, cursor - ps);
    partial[cursor - ps] = 0;
    uint32_t line = 0;
    for (size_t i = 0; i < ls; i++)
        line += text[i] == '\n';
    struct prov_context ctx = {
        .language = lang->name, .uri = uri, .prefix = text, .prefix_len = cursor,
        .suffix = text + cursor, .suffix_len = len - cursor, .line = line,
        .column = (uint32_t)(cursor - ls), .situation = cur.situation, .shape = cur.shape,
        .member_receiver = cur.receiver, .indent = "",
    };
    struct local_request lr = {
        .ctx = &ctx, .syntax = sd, .cursor = &cur, .uri = uri, .text = text, .text_len = len,
        .offset = cursor, .partial = partial, .edit_count = edit, .snippet_support = true,
    };
    struct local_item *items;
    size_t n = local_engine_complete(e, &lr, &items, 50);
    for (size_t i = 0; i < n; i++)
        FZ_ASSERT(items[i].label && items[i].insert_text, "item %zu without label or text", i);
    local_items_free(items, n);
    struct strbuf out;
    sb_init(&out);
    if (local_engine_line(e, &lr, &out))
        FZ_ASSERT(!out.len || !memchr(out.data, 0, out.len), "ghost text holds a NUL");
    sb_release(&out);
    syn_cursor_release(&cur);
    syn_doc_free(sd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    static bool ready;
    if (!ready) {
        uv_loop_init(&loop);
        ready = true;
    }
    size_t nl;
    const struct lang_info *langs = lang_all(&nl);
    const struct lang_info *lang = &langs[data[0] % nl];
    const uint8_t *body = data + 1;
    size_t bn = size - 1;
    const uint8_t *cut = memchr(body, 0xFF, bn);
    size_t dn = cut ? (size_t)(cut - body) : bn;
    const uint8_t *typed = cut ? cut + 1 : NULL;
    size_t tn = cut ? bn - dn - 1 : 0;

    struct us_settings st;
    settings_init(&st);
    struct local_engine *e = local_engine_new(&loop, &st);
    settings_release(&st);
    local_engine_add_workspace_text(e, (const char *)body, dn);

    char *text = xmalloc(dn + tn + 1);
    memcpy(text, body, dn);
    size_t len = dn;
    text[len] = 0;
    uint64_t seed = fz_seed(data, size);
    size_t cursor = char_start(text, len ? (size_t)(fz_next(&seed) % (len + 1)) : 0);
    ask(e, lang, text, len, cursor, 1);
    for (size_t i = 0; i < tn && i < 8; i++) {
        memmove(text + cursor + 1, text + cursor, len - cursor);
        text[cursor++] = (char)typed[i];
        text[++len] = 0;
        ask(e, lang, text, len, char_start(text, cursor), 2 + i);
    }
    /* an accepted AI answer at the cursor, then the same place asked again */
    struct local_accept a = {"claude", "/fuzz/doc", text, cursor, text + cursor, len - cursor};
    local_engine_learn(e, &a);
    ask(e, lang, text, len, char_start(text, cursor), 100);
    local_engine_doc_close(e, "file:///fuzz/doc");
    local_engine_free(e);
    free(text);
    return 0;
}

/* fuzz_snippet: the snippet parser renders any body without crashing or reading past it, in
 * both modes; the cursor it reports lies inside what it rendered; text with no snippet syntax
 * renders unchanged. */
#include <stdint.h>

#include "fuzz_util.h"
#include "snippet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Bodies are C strings: cut at the first NUL as the loader would. */
    char *body = malloc(size + 1);
    memcpy(body, data, size);
    body[size] = 0;
    size_t blen = strlen(body);

    size_t where = (size_t)-1;
    int rc = snip_check(body, &where);
    FZ_ASSERT(rc == 0 || rc == US_EPARSE, "snip_check returned %d", rc);
    if (rc != 0)
        FZ_ASSERT(where <= blen, "bad construct at %zu past the body (%zu)", where, blen);

    struct snip_env env = {
        .language = "python",
        .path = "/work/a b/x.py",
        .workspace_folder = "/work",
        .current_line = "    foo = bar",
        .current_word = "bar",
        .selected_text = "sel",
        .indent = "    ",
        .line = 3,
        .now = 1700000000,
        .seed = 42,
    };
    for (int m = 0; m < 2; m++) {
        struct strbuf out;
        sb_init(&out);
        sb_adds(&out, "pre"); /* the cursor is relative to what was appended */
        long cursor = -7;
        snip_render(body, &env, m ? SNIP_PLAIN : SNIP_LSP, &out, &cursor);
        size_t added = out.len - 3;
        if (m == 0)
            FZ_ASSERT(cursor == -1, "LSP mode cursor %ld", cursor);
        else
            FZ_ASSERT(cursor >= -1 && cursor <= (long)added, "cursor %ld outside %zu bytes",
                      cursor, added);
        /* Without '$', '\\' and newlines nothing is special: plain rendering is the text. */
        if (m == 1 && !strpbrk(body, "$\\\n"))
            FZ_ASSERT(added == blen && memcmp(out.data + 3, body, blen) == 0,
                      "plain text changed by rendering");
        sb_release(&out);
    }
    /* Without variables to resolve the renderer must not depend on env. */
    struct snip_env empty = {.now = 1, .seed = 1};
    struct strbuf out;
    sb_init(&out);
    snip_render(body, &empty, SNIP_PLAIN, &out, NULL);
    sb_release(&out);
    free(body);
    return 0;
}

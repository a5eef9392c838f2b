/* syntax_open: what the user is in the middle of writing at the cursor, a comment or a string
 * not closed yet. The grammars' comment and string tokens need their end, so until it is typed
 * the tree shows errors or code there; in editors that do not close quotes and comments as
 * they open (Neovim's and Emacs's defaults) this is every keystroke of a new comment or
 * string. Valid code holds no unclosed comment or string, so only trees with errors are
 * scanned. */
#include "syntax_int.h"

#include "languages.h"

/* How far back an opening is looked for: a comment or docstring longer than this is rare, and
 * the scan runs on every request in a file that does not parse. */
#define OPEN_SCAN (64u * 1024u)

/* Whether the byte at `at` lies inside a comment or string that began before it. (One that
 * begins right there is a misreading of the unclosed opening: JavaScript's grammar takes an
 * unclosed block comment for a regex.) */
static bool inside_comment_or_string(struct syn_doc *doc, TSNode root, uint32_t at)
{
    TSNode n = ts_node_descendant_for_byte_range(root, at, at + 1);
    for (int guard = 0; !ts_node_is_null(n) && guard < 64; guard++, n = ts_node_parent(n)) {
        const char *type = ts_node_type(n);
        if ((syn__in_list(doc->lang->comment_types, type) ||
             syn__in_list(doc->lang->string_types, type)) &&
            ts_node_start_byte(n) < at)
            return true;
    }
    return false;
}

/* A comment the tree holds starts at `at`: the opening has its end further down (an edit
 * elsewhere left the errors), so the cursor is in a comment the tree already sees. */
static bool comment_starts_at(struct syn_doc *doc, TSNode root, uint32_t at)
{
    TSNode n = ts_node_descendant_for_byte_range(root, at, at + 1);
    for (int guard = 0; !ts_node_is_null(n) && guard < 64; guard++, n = ts_node_parent(n))
        if (syn__in_list(doc->lang->comment_types, ts_node_type(n)))
            return ts_node_start_byte(n) == at;
    return false;
}

static bool block_comments(const struct syn_doc *doc)
{
    const char *lc = doc->lang->line_comment;
    return lc && strcmp(lc, "//") == 0; /* the C family */
}

bool syn__open_comment(struct syn_doc *doc, TSNode root, uint32_t b)
{
    if (!block_comments(doc) || !ts_node_has_error(root))
        return false;
    uint32_t stop = b > OPEN_SCAN ? b - OPEN_SCAN : 0;
    for (uint32_t i = b; i >= stop + 2; i--) {
        const char *t = doc->text + i - 2;
        if (t[0] == '*' && t[1] == '/')
            return false;
        if (t[0] == '/' && t[1] == '*')
            return !inside_comment_or_string(doc, root, i - 2) &&
                   !comment_starts_at(doc, root, i - 2);
    }
    return false;
}

static bool three(const char *t, char q)
{
    return t[0] == q && t[1] == q && t[2] == q;
}

/* Python: the last three quotes before b open a string (they are not the end of one the tree
 * holds, nor inside a comment or another string). */
static bool open_triple(struct syn_doc *doc, TSNode root, uint32_t b)
{
    uint32_t stop = b > OPEN_SCAN ? b - OPEN_SCAN : 0;
    for (uint32_t i = b; i >= stop + 3; i--) {
        const char *t = doc->text + i - 3;
        if (three(t, '"') || three(t, '\''))
            return !inside_comment_or_string(doc, root, i - 3);
    }
    return false;
}

/* The cursor's line, read from its start as a lexer would: a quote opens a string that the
 * same quote closes (a backslash escapes, except in a shell's single quotes), a comment ends
 * the reading, and a quote the tree holds inside something it parsed (a regex) is text. */
static bool open_on_line(struct syn_doc *doc, TSNode root, uint32_t b)
{
    const char *t = doc->text, *quotes = doc->lang->quotes, *lc = doc->lang->line_comment;
    bool shell = !strcmp(doc->lang->name, "shellscript"); /* `#` starts a comment after a blank */
    size_t lcn = lc ? strlen(lc) : 0;
    char open = 0;
    bool triple = false;
    for (uint32_t i = syn__line_start(doc, b); i < b;) {
        char c = t[i];
        if (open) {
            if (c == '\\' && !(shell && open == '\'')) {
                i += 2;
                continue;
            }
            if (triple ? i + 3 <= b && three(t + i, open) : c == open) {
                i += triple ? 3 : 1;
                open = 0;
                continue;
            }
            i++;
            continue;
        }
        if (lcn && b - i >= lcn && !memcmp(t + i, lc, lcn) &&
            (!shell || i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t'))
            return false;
        if (block_comments(doc) && c == '/' && i + 1 < b && t[i + 1] == '*') {
            const char *end = memmem(t + i + 2, b - i - 2, "*/", 2);
            if (!end)
                return false;
            i = (uint32_t)(end - t) + 2;
            continue;
        }
        if (c && strchr(quotes, c) && !inside_comment_or_string(doc, root, i)) {
            triple = doc->lang->triple_quotes && i + 3 <= b && three(t + i, c);
            open = c;
            i += triple ? 3 : 1;
            continue;
        }
        i++;
    }
    return open != 0;
}

bool syn__open_string(struct syn_doc *doc, TSNode root, uint32_t b)
{
    if (!doc->lang->quotes || !ts_node_has_error(root) || b == 0)
        return false;
    if (doc->lang->triple_quotes && open_triple(doc, root, b))
        return true;
    return open_on_line(doc, root, b);
}

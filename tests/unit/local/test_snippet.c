/* Snippet parser, rendering (with and without snippetSupport), variables, and loading. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "local/fuzzy.h"
#include "local/snippet.h"

/* sb_detach re-initialises the buffer (allocating); release that too. Caller frees. */
static char *sb_take(struct strbuf *sb)
{
    char *s = sb_detach(sb, NULL);
    sb_release(sb);
    return s;
}

static const struct snip_env env = {
    .language = "python",
    .path = "/home/u/proj/src/my_file.py",
    .workspace_folder = "/home/u/proj",
    .current_line = "x = 1",
    .current_word = "x",
    .line = 41,
    .now = 1700000000, /* 2023-11-14 */
    .seed = 42,
};

static char *render(const char *body, enum snip_mode mode, long *cursor)
{
    struct strbuf sb;
    sb_init(&sb);
    snip_render(body, &env, mode, &sb, cursor);
    return sb_take(&sb);
}

#define EXPECT(body, lsp_want, plain_want)                                 \
    do {                                                                   \
        char *l = render(body, SNIP_LSP, NULL), *p = render(body, SNIP_PLAIN, NULL); \
        CHECK_EQ_STR(l, lsp_want);                                         \
        CHECK_EQ_STR(p, plain_want);                                       \
        free(l);                                                           \
        free(p);                                                           \
    } while (0)

static void tabstops(void)
{
    EXPECT("a $1 b ${2} c $0", "a $1 b $2 c $0", "a  b  c ");
    EXPECT("${1:foo} and $1", "${1:foo} and $1", "foo and foo"); /* mirror gets the default */
    EXPECT("$1x", "$1x", "x");
    EXPECT("${1}2", "${1}2", "2"); /* braces kept where a digit follows */
    long cur = 0;
    free(render("ab${2:cd}ef${1:gh}$0", SNIP_PLAIN, &cur));
    CHECK_EQ_INT(cur, 6); /* the first tabstop ($1) wins over $2 and $0 */
    free(render("abc$0def", SNIP_PLAIN, &cur));
    CHECK_EQ_INT(cur, 3);
    free(render("plain", SNIP_PLAIN, &cur));
    CHECK_EQ_INT(cur, -1);
}

static void nested(void)
{
    EXPECT("${1:foo ${2:bar ${3:baz}}}!", "${1:foo ${2:bar ${3:baz}}}!", "foo bar baz!");
    EXPECT("f(${1:a, ${2:b}})", "f(${1:a, ${2:b}})", "f(a, b)");
    /* an escaped brace inside a default belongs to the text */
    EXPECT("${1:a\\}b}", "${1:a\\}b}", "a}b");
    /* an unmatched '}' at top level is literal text */
    EXPECT("} ${1:x}", "\\} ${1:x}", "} x");
}

static void choices(void)
{
    EXPECT("${1|one,two,three|}", "${1|one,two,three|}", "one");
    EXPECT("${1|a\\,b,c\\|d,e|}", "${1|a\\,b,c\\|d,e|}", "a,b");
    /* not a valid choice (no closing "|}"): literal text */
    EXPECT("${1|a,b}", "\\${1|a,b\\}", "${1|a,b}");
}

static void escapes(void)
{
    EXPECT("cost: \\$5", "cost: \\$5", "cost: $5");
    EXPECT("a\\\\b", "a\\\\b", "a\\b");
    EXPECT("\\n stays", "\\\\n stays", "\\n stays"); /* other backslashes are literal */
    EXPECT("$ alone $$", "\\$ alone \\$\\$", "$ alone $$");
    size_t where = 99;
    CHECK_EQ_INT(snip_check("${1:ok} $0 \\$ $ x", NULL), 0);
    CHECK_EQ_INT(snip_check("abc ${1:open", &where), US_EPARSE);
    CHECK_EQ_INT(where, 4);
}

static void variables(void)
{
    EXPECT("$TM_FILENAME", "my_file.py", "my_file.py");
    EXPECT("${TM_FILENAME_BASE}", "my_file", "my_file");
    EXPECT("$TM_DIRECTORY|$RELATIVE_FILEPATH|$WORKSPACE_NAME",
           "/home/u/proj/src|src/my_file.py|proj", "/home/u/proj/src|src/my_file.py|proj");
    EXPECT("$TM_LINE_NUMBER/$TM_LINE_INDEX", "42/41", "42/41");
    EXPECT("$LINE_COMMENT x", "# x", "# x");
    EXPECT("${TM_SELECTED_TEXT:nothing}", "nothing", "nothing"); /* known, empty: default */
    EXPECT("${TM_SELECTED_TEXT:${1:sel}}", "${1:sel}", "sel");
    EXPECT("${UNKNOWN_VAR}", "${1:UNKNOWN_VAR}", "UNKNOWN_VAR"); /* unknown: placeholder */
    EXPECT("${1:a} ${NOPE:dflt}", "${1:a} ${2:dflt}", "a dflt");
    EXPECT("$CURRENT_YEAR", "2023", "2023");
    char *s = render("$UUID", SNIP_PLAIN, NULL);
    CHECK_EQ_INT(strlen(s), 36);
    CHECK(s[14] == '4');
    free(s);
    s = render("$CURRENT_MONTH_NAME_SHORT $CURRENT_DAY_NAME", SNIP_PLAIN, NULL);
    CHECK(strlen(s) > 5);
    free(s);
    /* a literal `$` in a resolved value is escaped for LSP clients */
    struct snip_env e2 = env;
    e2.current_word = "a$b}";
    struct strbuf sb;
    sb_init(&sb);
    snip_render("$TM_CURRENT_WORD", &e2, SNIP_LSP, &sb, NULL);
    CHECK_EQ_STR(sb.data, "a\\$b\\}");
    sb_release(&sb);
}

static void transforms(void)
{
    EXPECT("${TM_FILENAME/(.*)\\.py$/$1/}", "my_file", "my_file");
    EXPECT("${TM_FILENAME_BASE/(.*)/${1:/upcase}/}", "MY_FILE", "MY_FILE");
    EXPECT("${TM_FILENAME_BASE/(.*)/${1:/pascalcase}/}", "MyFile", "MyFile");
    EXPECT("${TM_FILENAME_BASE/_/-/g}", "my-file", "my-file");
    EXPECT("${TM_FILENAME_BASE/(x)?my/${1:?yes:no}/}", "no_file", "no_file");
    EXPECT("${TM_FILENAME_BASE/\\d+/N/}", "my_file", "my_file"); /* no match: unchanged */
    /* a transform on a tabstop: kept for LSP clients, applied to the mirror in plain text */
    EXPECT("${1:abc} ${1/(.)/${1:/upcase}/}", "${1:abc} ${1/(.)/${1:/upcase}/}", "abc Abc");
    /* a regex our engine cannot do falls back to the value */
    EXPECT("${TM_FILENAME_BASE/(?<=m)y/Y/}", "my_file", "my_file");
}

static void indentation(void)
{
    struct snip_env e2 = env;
    e2.indent = "    ";
    struct strbuf sb;
    sb_init(&sb);
    snip_render("if x:\n\t${1:pass}", &e2, SNIP_PLAIN, &sb, NULL);
    CHECK_EQ_STR(sb.data, "if x:\n    \tpass");
    sb_release(&sb);
}

static void lookup_builtin(void)
{
    struct snip_lib *lib = snip_lib_new();
    int n = snip_lib_load_builtin(lib);
    CHECK(n > 150);
    static const char *langs[] = {"c", "cpp", "python", "javascript", "typescript", "go", "rust",
                                  "java", "ruby", "shellscript", "lua", "json", "typescriptreact"};
    for (size_t i = 0; i < US_ARRAY_LEN(langs); i++) {
        const struct snip_info *all[200];
        size_t k = snip_lib_list(lib, langs[i], all, 200);
        CHECK(k >= 10);
        for (size_t j = 0; j < k; j++) {
            size_t where;
            if (snip_check(all[j]->body, &where) != 0) {
                fprintf(stderr, "%s %s: bad body at %zu\n", langs[i], all[j]->name, where);
                CHECK(0);
            }
        }
    }
    struct snip_match m[8];
    size_t k = snip_lib_lookup(lib, "python", "de", m, 8);
    CHECK(k >= 2);
    CHECK_EQ_STR(m[0].prefix, "def");
    k = snip_lib_lookup(lib, "python", "ifm", m, 8);
    CHECK(k >= 1 && !strcmp(m[0].info->name, "if main"));
    /* tsx sees react and typescript and javascript snippets, its own first */
    k = snip_lib_lookup(lib, "typescriptreact", "us", m, 8);
    CHECK(k >= 1 && !strcmp(m[0].info->name, "useState typed"));
    k = snip_lib_lookup(lib, "typescriptreact", "interface", m, 8);
    CHECK(k >= 1);
    k = snip_lib_lookup(lib, "typescriptreact", "log", m, 8);
    CHECK(k >= 1);
    k = snip_lib_lookup(lib, "bash", "shebang", m, 8); /* alias of shellscript */
    CHECK(k == 1);
    /* render the C header guard from the file name */
    struct snip_env ce = env;
    ce.path = "/x/my-lib.h";
    struct strbuf sb;
    sb_init(&sb);
    k = snip_lib_lookup(lib, "c", "guard", m, 8);
    CHECK(k >= 1);
    if (k) {
        snip_render(m[0].info->body, &ce, SNIP_PLAIN, &sb, NULL);
        CHECK(strncmp(sb.data, "#ifndef MY-LIB_H\n#define MY-LIB_H\n", 34) == 0);
    }
    sb_release(&sb);
    snip_lib_free(lib);
}

static void load_package(void)
{
    struct snip_lib *lib = snip_lib_new();
    int n = snip_lib_load_dir(lib, FIXTURES "/snippet-package");
    CHECK_EQ_INT(n, 2);
    struct snip_match m[4];
    CHECK_EQ_INT(snip_lib_lookup(lib, "python", "fxp", m, 4), 1);
    CHECK_EQ_STR(m[0].info->description, "print from the fixture package");
    CHECK_EQ_INT(snip_lib_lookup(lib, "typescript", "fxlog", m, 4), 1);
    CHECK_EQ_INT(snip_lib_lookup(lib, "javascript", "fxlog", m, 4), 1);
    CHECK_EQ_INT(snip_lib_lookup(lib, "go", "fx", m, 4), 0);
    CHECK_EQ_INT(snip_lib_lookup(lib, "python", "fxnone", m, 4), 0);

    n = snip_lib_load_dir(lib, FIXTURES "/snippet-folder");
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(snip_lib_lookup(lib, "go", "fxfunc", m, 4), 1);
    CHECK_EQ_INT(snip_lib_lookup(lib, "cpp", "fxhdr", m, 4), 1);
    CHECK_EQ_INT(snip_lib_lookup(lib, "python", "fxhdr", m, 4), 0);
    CHECK_EQ_INT(snip_lib_lookup(lib, "ruby", "fxall", m, 4), 1); /* no scope: everywhere */
    CHECK_EQ_INT(snip_lib_load_dir(lib, FIXTURES "/does-not-exist"), US_ENOENT);
    CHECK_EQ_INT(snip_lib_load_json(lib, "{not json", 9, "c", "x"), US_EPARSE);
    snip_lib_free(lib);
}

static void fuzzy(void)
{
    CHECK(fuzzy_class_of(fuzzy_score("for", 3, "for", 3)) == FUZZY_PREFIX);
    CHECK(fuzzy_class_of(fuzzy_score("Fo", 2, "format", 6)) == FUZZY_PREFIX_CI);
    CHECK(fuzzy_class_of(fuzzy_score("gf", 2, "get_file", 8)) == FUZZY_WORDS);
    CHECK(fuzzy_class_of(fuzzy_score("gF", 2, "getFile", 7)) == FUZZY_WORDS);
    CHECK(fuzzy_class_of(fuzzy_score("gl", 2, "getfile", 7)) == FUZZY_SCATTER);
    CHECK_EQ_INT(fuzzy_score("xf", 2, "getfile", 7), 0);
    CHECK(fuzzy_score("fo", 2, "for", 3) > fuzzy_score("fo", 2, "foreach", 7));
}

#define TESTS(X) X(tabstops) X(nested) X(choices) X(escapes) X(variables) X(transforms) \
    X(indentation) X(lookup_builtin) X(load_package) X(fuzzy)
CHECK_MAIN(TESTS)

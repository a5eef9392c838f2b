/* The local engine as the server calls it: ranking per language (scope beats distance,
 * members after `.`/`->`, shell variables after `$`, no defined name after `def`, the
 * workspace's n-gram), ghost text that finishes the identifier being typed and, in comments,
 * only continues a long match, and learning accepted AI lines (not local ones, never from
 * excluded files, off by configuration, masked, persisted per workspace). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "base.h"
#include "check.h"
#include "local/doc_window.h"
#include "languages.h"
#include "local/local.h"
#include "settings.h"
#include "syntax.h"

static uv_loop_t loop;

static struct local_engine *engine(bool learn)
{
    struct us_settings st;
    settings_init(&st);
    st.local.learn_accepted = learn;
    struct local_engine *e = local_engine_new(&loop, &st);
    settings_release(&st);
    return e;
}

static void engine_free(struct local_engine *e)
{
    local_engine_free(e);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* A request at the '|' of src (removed), as lsp/completion.c builds it. */
struct probe {
    char *text;
    size_t len, cursor;
    struct prov_context ctx;
    struct local_request lr;
    struct syn_doc *sd;
    struct syn_cursor cur;
    char partial[64];
};

static void probe_init(struct probe *p, const char *language, const char *src)
{
    memset(p, 0, sizeof *p);
    const char *bar = strchr(src, '|');
    p->cursor = (size_t)(bar - src);
    p->len = strlen(src) - 1;
    p->text = xmalloc(p->len + 1);
    memcpy(p->text, src, p->cursor);
    memcpy(p->text + p->cursor, bar + 1, strlen(bar + 1) + 1);
    p->sd = syn_doc_new(lang_for_name(language), p->text, p->len);
    syn_doc_analyze(p->sd, (uint32_t)p->cursor, &p->cur);
    size_t s = p->cursor;
    while (s > 0 && (p->text[s - 1] == '_' || p->text[s - 1] == '$' ||
                     ((p->text[s - 1] | 32) >= 'a' && (p->text[s - 1] | 32) <= 'z')))
        s--;
    memcpy(p->partial, p->text + s, p->cursor - s);
    size_t ls = p->cursor;
    while (ls > 0 && p->text[ls - 1] != '\n')
        ls--;
    uint32_t line = 0;
    for (size_t i = 0; i < ls; i++)
        line += p->text[i] == '\n';
    p->ctx = (struct prov_context){.language = language, .uri = "file:///ws/t", .line = line,
                                   .path = "/ws/t", .prefix = p->text,
                                   .prefix_len = p->cursor, .suffix = p->text + p->cursor,
                                   .suffix_len = p->len - p->cursor,
                                   .column = (uint32_t)(p->cursor - ls), .indent = ""};
    p->ctx.situation = p->cur.situation;
    p->ctx.member_receiver = p->cur.receiver;
    p->lr = (struct local_request){.ctx = &p->ctx, .syntax = p->sd, .cursor = &p->cur,
                                   .uri = "file:///ws/t", .text = p->text, .text_len = p->len,
                                   .offset = p->cursor, .partial = p->partial};
}

static void probe_release(struct probe *p)
{
    syn_cursor_release(&p->cur);
    syn_doc_free(p->sd);
    free(p->text);
}

/* The first label of the popup at '|'. */
static char *first_label(struct local_engine *e, const char *language, const char *src)
{
    struct probe p;
    probe_init(&p, language, src);
    local_engine_doc_update(e, "file:///ws/t", language, p.text, p.len);
    struct local_item *items;
    size_t n = local_engine_complete(e, &p.lr, &items, 20);
    char *first = n ? xstrdup(items[0].label) : xstrdup("");
    local_items_free(items, n);
    probe_release(&p);
    return first;
}

static char *ghost(struct local_engine *e, const char *language, const char *src)
{
    struct probe p;
    probe_init(&p, language, src);
    struct strbuf out;
    sb_init(&out);
    local_engine_line(e, &p.lr, &out);
    probe_release(&p);
    return sb_detach(&out, NULL);
}

#define FIRST_IS(e, lang, src, want)                                                     \
    do {                                                                                 \
        char *got__ = first_label(e, lang, src);                                         \
        CHECK_EQ_STR(got__, want);                                                       \
        free(got__);                                                                     \
    } while (0)

static void rank_python(void)
{
    struct local_engine *e = engine(false);
    /* the parameter of the enclosing function beats a word nearer the cursor */
    FIRST_IS(e, "python",
             "def scale(factor_value, items):\n"
             "    out = [i * factor_value for i in items]\n"
             "    return fa|\n"
             "\n"
             "def other():\n"
             "    fallback = 1\n"
             "    fallback += 1\n",
             "factor_value");
    /* after `self.`: the class's members, not the words around */
    FIRST_IS(e, "python",
             "import argparse\n"
             "class Shape:\n"
             "    def __init__(self, w):\n"
             "        self.width = w\n"
             "    def area(self):\n"
             "        return self.width\n"
             "    def describe(self):\n"
             "        parser = argparse.ArgumentParser()\n"
             "        return self.ar|\n",
             "area");
    engine_free(e);
}

static void rank_c(void)
{
    struct local_engine *e = engine(false);
    FIRST_IS(e, "c",
             "struct point { int xpos; int ypos; };\n"
             "static int xpand(int v) { return v; }\n"
             "int norm(struct point *p) {\n"
             "    int xpanded = xpand(2);\n"
             "    return p->xp|;\n"
             "}\n",
             "xpos");
    engine_free(e);
}

static void rank_shell(void)
{
    struct local_engine *e = engine(false);
    FIRST_IS(e, "shellscript",
             "#!/bin/sh\n"
             "config_dir=/etc/app\n"
             "echo config_file is missing\n"
             "ls \"$co|\"\n",
             "$config_dir");
    engine_free(e);
}

static void rank_javascript(void)
{
    struct local_engine *e = engine(false);
    /* scope beats distance: the enclosing function's parameter over a nearer word elsewhere */
    FIRST_IS(e, "javascript",
             "function total(priceList, taxRate) {\n"
             "  let sum = 0;\n"
             "  for (const p of priceList) sum += p;\n"
             "  return sum * pr|;\n"
             "}\n"
             "function other() {\n"
             "  const pruned = 1;\n"
             "  return pruned;\n"
             "}\n",
             "priceList");
    /* a name one character longer than what is typed saves nothing: the longer one first */
    FIRST_IS(e, "javascript",
             "const bufferList = [];\n"
             "let buf = 0;\n"
             "buf = buf + 1;\n"
             "console.log(bu|);\n",
             "bufferList");
    engine_free(e);
}

/* After `def`, `class`, `function` a new name is written: a name the file uses but has not
 * defined yet beats a nearer, more recent one it already defines. */
static void rank_def_slot(void)
{
    struct local_engine *e = engine(false);
    FIRST_IS(e, "python",
             "def parse_header(line):\n    return line\n\n"
             "def run(x, y):\n    parse_body(x)\n    parse_header(y)\n    parse_header(x)\n\n"
             "def pa|\n",
             "parse_body");
    FIRST_IS(e, "javascript",
             "function parseHeader(line) { return line; }\n"
             "function run(x, y) { parseBody(x); parseHeader(y); parseHeader(x); }\n"
             "function pa|\n",
             "parseBody");
    engine_free(e);
}

/* The workspace's n-gram: what followed the tokens before the cursor in other files, for a
 * name this file never put there (the nearer look-alike would win on distance alone). */
static void rank_workspace_ngram(void)
{
    static const struct { const char *lang, *ws, *src, *want; } cases[] = {
        {"python", "def g(v):\n    raise ValueError(v)\n",
         "errors = [ValueError]\nx = Valuable()\ndef f():\n    raise Va|\n", "ValueError"},
        {"c", "static void g(int v) {\n    perror(\"v\");\n    exit(EXIT_FAILURE);\n}\n",
         "int codes[] = {EXIT_FAILURE};\nint EXIT_FALLBACK = 2;\nvoid f(void) {\n    exit(EX|\n}\n",
         "EXIT_FAILURE"},
        {"javascript", "function g(v) {\n  throw new TypeError(v);\n}\n",
         "const kinds = [TypeError];\nconst x = new TypedThing();\nfunction f() {\n  throw new Ty|\n}\n",
         "TypeError"},
        {"shellscript", "g() {\n  echo \"$1\" >&2\n  exit $EXIT_USAGE\n}\n",
         "EXIT_USAGE=2\nEXIT_UNKNOWN=3\nf() {\n  exit $EX|\n}\n", "$EXIT_USAGE"},
    };
    for (size_t i = 0; i < US_ARRAY_LEN(cases); i++) {
        struct local_engine *e = engine(false);
        for (int k = 0; k < 5; k++)
            local_engine_add_workspace_text(e, cases[i].ws, strlen(cases[i].ws));
        FIRST_IS(e, cases[i].lang, cases[i].src, cases[i].want);
        engine_free(e);
    }
}

/* Is want among the popup's labels at '|'? */
static bool offers(struct local_engine *e, const char *language, const char *src, const char *want)
{
    struct probe p;
    probe_init(&p, language, src);
    local_engine_doc_update(e, "file:///ws/t", language, p.text, p.len);
    struct local_item *items;
    size_t n = local_engine_complete(e, &p.lr, &items, 200);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= strcmp(items[i].label, want) == 0;
    local_items_free(items, n);
    probe_release(&p);
    return found;
}

/* Recency: the name used last before the cursor beats an older, more frequent one (the
 * naive baseline's strongest signal, on a log scale of the bytes back). */
static void rank_recency(void)
{
    struct local_engine *e = engine(false);
    FIRST_IS(e, "python",
             "stream_total = 0\nstream_total += 1\nstream_total += 2\n"
             "print('--------------------------------------------------------------')\n"
             "stream_count = 3\nprint(st|)\n",
             "stream_count");
    FIRST_IS(e, "c",
             "int stream_total = 0;\nint f(void) { stream_total++; stream_total++; return 0; }\n"
             "/* ------------------------------------------------------------------ */\n"
             "int stream_count = 3;\nint g(void) { return st|; }\n",
             "stream_count");
    FIRST_IS(e, "javascript",
             "let streamTotal = 0;\nstreamTotal += 1;\nstreamTotal += 2;\n"
             "// ------------------------------------------------------------------\n"
             "let streamCount = 3;\nconsole.log(st|);\n",
             "streamCount");
    FIRST_IS(e, "shellscript",
             "stream_total=0\necho $stream_total $stream_total\n"
             "# ------------------------------------------------------------------\n"
             "# ------------------------------------------------------------------\n"
             "stream_count=3\necho \"$st|\"\n",
             "$stream_count");
    engine_free(e);
}

/* Co-occurrence: a name that stood on lines with the cursor line's other names. */
static void rank_cooccurrence(void)
{
    struct local_engine *e = engine(false);
    FIRST_IS(e, "python",
             "a = open_link(host_name)\n"
             "print(1)\nb = bind(host_port)\n"
             "d = open_link(timeout_value, ho|)\n",
             "host_name");
    FIRST_IS(e, "c",
             "int a = open_link(host_name);\n"
             "int x = 1;\nint b = bind(host_port);\n"
             "int d = open_link(timeout_value, ho|);\n",
             "host_name");
    FIRST_IS(e, "javascript",
             "const a = openLink(hostName);\n"
             "let x = 1;\nconst b = bind(hostPort);\n"
             "const d = openLink(timeoutValue, ho|);\n",
             "hostName");
    engine_free(e);
}

/* In a comment, a word the file's comments use beats a code name that only code uses. */
static void rank_comment_words(void)
{
    struct local_engine *e = engine(false);
    FIRST_IS(e, "python",
             "# retries are counted per request\n# the retries stop after a while\n"
             "result_set = fetch()\n# too many re|\n",
             "retries");
    FIRST_IS(e, "c",
             "// retries are counted per request\n// the retries stop after a while\n"
             "int result_set = fetch();\n// too many re|\n",
             "retries");
    FIRST_IS(e, "shellscript",
             "# retries are counted per request\n# the retries stop after a while\n"
             "result_set=$(fetch)\n# too many re|\n",
             "retries");
    /* in a docstring, a parameter's name gets no scope bonus: the prose word said just before
     * comes first (the scope bonus alone would put `server_name` there) */
    FIRST_IS(e, "python",
             "def send(server_name, payload):\n"
             "    \"\"\"Send the payload; the server answers with a code.\n"
             "    Retry when the serv|\n"
             "    \"\"\"\n"
             "    return server_name\n",
             "server");
    engine_free(e);
}

/* The candidate set: every name of the file that starts like the fragment is offered, however
 * many look alike (the word index answers at most 64); the fragment itself is not. */
static void candidates_complete(void)
{
    struct local_engine *e = engine(false);
    struct strbuf sb;
    sb_init(&sb);
    sb_adds(&sb, "int nss_wanted_one(void);\n");
    for (int i = 0; i < 120; i++)
        sb_addf(&sb, "int nss_filler_%03d(void);\n", i);
    sb_adds(&sb, "int use(void) { return ns|; }\n");
    CHECK(offers(e, "c", sb.data, "nss_wanted_one"));
    sb_release(&sb);
    CHECK(!offers(e, "python",
                  "class Reader:\n    def __init__(self):\n        self.lineno = 0\n"
                  "    def next(self):\n        self.li|\n",
                  "li"));
    CHECK(offers(e, "python",
                 "class Reader:\n    def __init__(self):\n        self.lineno = 0\n"
                 "    def next(self):\n        self.li|\n",
                 "lineno"));
    /* shell: text glued before the `$` is kept in front of the variable */
    FIRST_IS(e, "shellscript",
             "includedir=/usr/include\ncflags=\"-I$includedir\"\ntest \"x$in|\" = x && exit\n",
             "x$includedir");
    engine_free(e);
}

static void finish_identifier(void)
{
    struct local_engine *e = engine(false);
    char *g = ghost(e, "python",
                    "import math\n\ndef area(r):\n    return math.pi * r * r\n\nprint(ar|");
    CHECK(g && strncmp(g, "ea", 2) == 0);
    free(g);
    /* two names alike: no clear winner, no guess at the name */
    g = ghost(e, "python", "def area_of(r):\n    pass\ndef area_in(r):\n    pass\nprint(ar|");
    CHECK(g && strncmp(g, "ea_of", 5) != 0 && strncmp(g, "ea_in", 5) != 0);
    free(g);
    engine_free(e);
}

/* A document over DOC_WINDOW_BYTES: the line model learns a window around the cursor, not the
 * whole of it (a 876 KB file held the first ghost text 50-70 ms), and the code there still
 * gives ghost text. */
static void big_document_learned_around_the_cursor(void)
{
    struct local_engine *e = engine(false);
    struct strbuf src;
    sb_init(&src);
    for (int i = 0; src.len < 1100 * 1024; i++)
        sb_addf(&src, "def f_%d(x):\n    return x + %d\n\n", i, i);
    sb_adds(&src, "def g(x):\n    total = compute_total(x, 1)\n    total = compute_total(x, 2)\n"
                  "    total = compute_total(x, 3)\n    |");
    char *g = ghost(e, "python", src.data);
    struct local_stats st;
    local_engine_stats(e, &st);
    CHECK(st.line_doc_bytes > DOC_WINDOW_BYTES - 100 && st.line_doc_bytes < DOC_WINDOW_BYTES + 100);
    CHECK(g && strncmp(g, "total = compute_total(x, ", 25) == 0);
    free(g);
    sb_release(&src);
    engine_free(e);
}

/* n files of the workspace, each fmt filled with the text and the file's number */
static void add_copies(struct local_engine *e, const char *fmt, const char *text, int n)
{
    for (int i = 0; i < n; i++) {
        char buf[600];
        snprintf(buf, sizeof buf, fmt, text, i);
        local_engine_add_workspace_text(e, buf, strlen(buf));
    }
}

/* In a comment the longest match speaks, and at a line start the line-start model: the
 * workspace's licence header is continued as it was written, at its margin, but prose the
 * other rules could only guess at gets nothing. */
static void comment_ghost_continues_known_text(void)
{
    struct local_engine *e = engine(false);
    static const char *const header =
        "# This program is free software: you can redistribute it and/or modify\n"
        "# it under the terms of the GNU General Public License as published by\n"
        "# the Free Software Foundation, either version 3 of the License, or\n"
        "# (at your option) any later version.\n";
    add_copies(e, "#!/bin/sh\n%secho tool %d\n", header, 3);
    char *g = ghost(e, "shellscript",
                    "#!/bin/sh\n# This program is free software: you can redistribute it and/or "
                    "modify\n# it under the terms of the |\n");
    CHECK_EQ_STR(g, "GNU General Public License as published by");
    free(g);
    /* a block comment's next line, nothing typed on it yet: the header's next line */
    static const char *const c_header =
        "/* This program is free software: you can redistribute it and/or modify\n"
        "   it under the terms of the GNU General Public License as published by\n"
        "   the Free Software Foundation, either version 3 of the License, or\n"
        "   (at your option) any later version.  */\n";
    add_copies(e, "%sint tool_%d;\n", c_header, 8);
    g = ghost(e, "c",
              "/* This program is free software: you can redistribute it and/or modify\n"
              "   it under the terms of the GNU General Public License as published by\n |");
    CHECK_EQ_STR(g, "  the Free Software Foundation, either version 3 of the License, or");
    free(g);
    /* the line above is a pattern the copy rule would follow (0.5 sure: enough in code) */
    g = ghost(e, "shellscript",
              "#!/bin/sh\n# the file is read first\n# the file is written next\n# the |\n");
    CHECK_EQ_STR(g, "");
    free(g);
    engine_free(e);
}

/* A comment being written at the end of a file is a comment (no end yet: the tree has errors).
 * The n-gram's prose is not offered there, but the end of a one-line block comment is, as the
 * file writes them; a line comment has no end to offer. */
static void comment_ghost_closes_block_comment(void)
{
    struct local_engine *e = engine(false);
    struct strbuf sb;
    sb_init(&sb);
    static const char *const words[] = {"Read", "Write", "Open", "Close", "Seek", "Flush"};
    for (int i = 0; i < 24; i++)
        sb_addf(&sb, "#define F_OP_%02d %d\t/* %s the region.  */\n", i, i, words[i % 6]);
    /* want NULL: anything but the comment's end */
    static const struct {
        const char *last, *want;
    } cases[] = {
        {"#define F_UNLOCK 99\t/* Unlock a locked region.  |", "*/"},
        {"#define F_UNLOCK 99\t/* Unlock a locked region.  *|", "/"},
        /* the comment already ends further down: the user writes inside it */
        {"#define F_UNLOCK 99\t/* Unlock a locked region.  |\n   (and more)  */\n", NULL},
        /* prose in the same comment: the n-gram would go on with "region" (every line has it) */
        {"#define F_UNLOCK 99\t/* Unlock the |", ""},
        {"int f_unlock = 99;\t// Unlock it all.  |", NULL},
    };
    size_t base = sb.len;
    for (size_t i = 0; i < US_ARRAY_LEN(cases); i++) {
        sb.len = base;
        sb_adds(&sb, cases[i].last);
        char *g = ghost(e, "c", sb.data);
        if (cases[i].want)
            CHECK_EQ_STR(g, cases[i].want);
        else
            CHECK(!strstr(g, "*/"));
        free(g);
    }
    sb_release(&sb);
    engine_free(e);
}

static const char *const PLACE = "def handler(event):\n    payload = |";
static const char *const SUGG = "json.loads(event[\"body\"])";

static int accept_at(struct local_engine *e, const char *source, const char *path, const char *sugg)
{
    const char *bar = strchr(PLACE, '|');
    struct local_accept a = {source, path, PLACE, (size_t)(bar - PLACE), sugg, strlen(sugg)};
    return local_engine_learn(e, &a);
}

/* A different file, the same place: the learned line comes back offline. */
static char *ghost_at_place(struct local_engine *e)
{
    return ghost(e, "python", "import os\n\ndef handler(event):\n    payload = |");
}

static void learn_accepted(void)
{
    struct local_engine *e = engine(true);
    char *before = ghost_at_place(e);
    CHECK(strcmp(before, SUGG) != 0);
    free(before);
    CHECK_EQ_INT(accept_at(e, "claude", "/ws/app.py", SUGG), 0);
    char *g = ghost_at_place(e);
    CHECK_EQ_STR(g, SUGG);
    free(g);
    engine_free(e);
}

/* The learned line comes back after a previous line of the same shape (another function's
 * signature), not after any line that happens to precede the same short cursor line. */
static void learn_keyed_by_shape(void)
{
    struct local_engine *e = engine(true);
    CHECK_EQ_INT(accept_at(e, "claude", "/ws/app.py", SUGG), 0);
    char *g = ghost(e, "python", "import os\n\ndef worker(job):\n    payload = |");
    CHECK_EQ_STR(g, SUGG);
    free(g);
    g = ghost(e, "python", "import os\n\nwhile queue:\n    payload = |");
    CHECK(strcmp(g, SUGG) != 0);
    free(g);
    engine_free(e);
}

/* Accepted at a line start: the line comes back at its own level wherever the cursor is in
 * the indentation, and not at a deeper one. */
static void learn_at_line_start(void)
{
    struct local_engine *e = engine(true);
    const char *before = "def handler(event):\n    ";
    struct local_accept a = {"claude", "/ws/app.py", before, strlen(before), "return event", 12};
    CHECK_EQ_INT(local_engine_learn(e, &a), 0);
    struct { const char *src, *want; } cases[] = {
        {"import os\n\ndef handler(event):\n    |", "return event"},
        {"import os\n\ndef handler(event):\n  |", "  return event"},
        {"import os\n\ndef handler(event):\n|", "    return event"},
    };
    for (size_t i = 0; i < US_ARRAY_LEN(cases); i++) {
        char *g = ghost(e, "python", cases[i].src);
        CHECK_EQ_STR(g, cases[i].want);
        free(g);
    }
    char *g = ghost(e, "python", "import os\n\ndef handler(event):\n        |");
    CHECK(strstr(g, "return event") == NULL);
    free(g);
    engine_free(e);
}

static void learn_refused(void)
{
    /* the understudy's own lines (a rejected AI suggestion never reaches the engine: only
     * understudy.accepted does) */
    struct local_engine *e = engine(true);
    CHECK(accept_at(e, "local:line", "/ws/app.py", SUGG) < 0);
    /* excluded files: privacy.exclude's defaults cover .env* and *.key */
    CHECK_EQ_INT(accept_at(e, "claude", "/ws/.env.local", SUGG), US_EUNSUPPORTED);
    CHECK_EQ_INT(accept_at(e, "claude", "/ws/server.key", SUGG), US_EUNSUPPORTED);
    CHECK_EQ_INT(local_engine_learned_count(e), 0);
    char *g = ghost_at_place(e);
    CHECK(strcmp(g, SUGG) != 0);
    free(g);
    engine_free(e);
    /* off by configuration */
    e = engine(false);
    CHECK_EQ_INT(accept_at(e, "claude", "/ws/app.py", SUGG), US_ESTATE);
    CHECK_EQ_INT(local_engine_learned_count(e), 0);
    engine_free(e);
}

static void learn_persisted_and_masked(void)
{
    char dir[] = "/tmp/us-learn-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    setenv("XDG_STATE_HOME", dir, 1);
    const char *secret = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
    char sugg[200];
    snprintf(sugg, sizeof sugg, "call(\"%s\")", secret);
    struct local_engine *e = engine(true);
    local_engine_set_workspace(e, "/ws/project");
    CHECK_EQ_INT(accept_at(e, "claude", "/ws/app.py", SUGG), 0);
    CHECK_EQ_INT(accept_at(e, "claude", "/ws/app.py", sugg), 0);
    engine_free(e); /* saves */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "grep -rq 'sk-ant-api03' %s", dir);
    CHECK(system(cmd) != 0); /* the secret never reached the disk */
    snprintf(cmd, sizeof cmd, "grep -rq 'json.loads' %s/understudy", dir);
    CHECK(system(cmd) == 0);
    e = engine(true);
    local_engine_set_workspace(e, "/ws/project");
    CHECK_EQ_INT(local_engine_learned_count(e), 2);
    engine_free(e);
    e = engine(true);
    local_engine_set_workspace(e, "/ws/other"); /* per workspace */
    CHECK_EQ_INT(local_engine_learned_count(e), 0);
    engine_free(e);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

#define TESTS(X) X(rank_python) X(rank_c) X(rank_shell) X(rank_javascript) X(rank_recency) \
    X(rank_def_slot) X(rank_workspace_ngram) \
    X(rank_cooccurrence) X(rank_comment_words) X(candidates_complete) \
    X(finish_identifier) X(big_document_learned_around_the_cursor) \
    X(comment_ghost_continues_known_text) \
    X(comment_ghost_closes_block_comment) X(learn_accepted) \
    X(learn_keyed_by_shape) X(learn_at_line_start) X(learn_refused) X(learn_persisted_and_masked)
CHECK_MAIN(TESTS)

__attribute__((constructor)) static void init_loop(void) { uv_loop_init(&loop); }

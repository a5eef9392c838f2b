/* snippet_lib: the snippet library half of snippet.h: loading VS Code snippet JSON from the
 * bundled set, files, folders and snippet packages, and per-keystroke prefix lookup. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "fuzzy.h"
#include "snippet.h"

/* Take the buffer's text (caller frees) and leave sb released. */
static char *sb_take(struct strbuf *sb)
{
    char *s = sb_detach(sb, NULL);
    sb_release(sb);
    return s;
}

/* Generated at build time from providers/local/snippets/<lang>.json (tools/embed_snippets.py). */
struct snip__bundled {
    const char *language;
    const char *json;
};
extern const struct snip__bundled snip__bundled[];

#define SNIP_FILE_CAP (4u << 20)

struct entry {
    struct snip_info info;
    char **langs; /* NULL = every language */
    size_t n_langs;
};

struct snip_lib {
    struct entry *v;
    size_t n, cap;
};

struct snip_lib *snip_lib_new(void) { return xcalloc(1, sizeof(struct snip_lib)); }

void snip_lib_free(struct snip_lib *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->n; i++) {
        struct entry *e = &lib->v[i];
        free((char *)e->info.name);
        for (size_t p = 0; p < e->info.n_prefixes; p++)
            free((char *)e->info.prefixes[p]);
        free((void *)e->info.prefixes);
        free((char *)e->info.body);
        free((char *)e->info.description);
        free((char *)e->info.origin);
        for (size_t l = 0; l < e->n_langs; l++)
            free(e->langs[l]);
        free(e->langs);
    }
    free(lib->v);
    free(lib);
}

size_t snip_lib_count(const struct snip_lib *lib) { return lib->n; }

/* Language ids that name the same thing, and families that share snippets. */
static const char *canonical(const char *lang)
{
    static const struct { const char *alias, *id; } aliases[] = {
        {"sh", "shellscript"}, {"bash", "shellscript"}, {"zsh", "shellscript"},
        {"shell", "shellscript"}, {"js", "javascript"}, {"ts", "typescript"},
        {"jsx", "javascriptreact"}, {"tsx", "typescriptreact"}, {"py", "python"},
        {"c++", "cpp"}, {"rs", "rust"}, {"rb", "ruby"}, {"golang", "go"},
        {"jsonc", "json"},
    };
    for (size_t i = 0; i < US_ARRAY_LEN(aliases); i++)
        if (!strcmp(lang, aliases[i].alias))
            return aliases[i].id;
    return lang;
}

/* The languages whose snippets apply in `lang`, the language itself first. */
static size_t family(const char *lang, const char *out[4])
{
    size_t n = 0;
    lang = canonical(lang);
    out[n++] = lang;
    if (!strcmp(lang, "typescriptreact")) {
        out[n++] = "typescript";
        out[n++] = "javascriptreact";
        out[n++] = "javascript";
    } else if (!strcmp(lang, "typescript") || !strcmp(lang, "javascriptreact")) {
        out[n++] = "javascript";
    }
    return n;
}

static bool entry_in(const struct entry *e, const char *const *fam, size_t nfam)
{
    if (!e->langs)
        return true;
    for (size_t i = 0; i < e->n_langs; i++)
        for (size_t f = 0; f < nfam; f++)
            if (!strcmp(e->langs[i], fam[f]))
                return true;
    return false;
}

/* "a, b" or a JSON list of strings -> owned array of trimmed canonical ids. */
static void split_scope(const char *scope, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    const char *s = scope;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *e = s;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > s && t[-1] == ' ')
            t--;
        if (t > s) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 4;
                *out = xrealloc(*out, cap * sizeof **out);
            }
            char *id = xstrndup(s, (size_t)(t - s));
            const char *c = canonical(id);
            if (c != id) {
                free(id);
                id = xstrdup(c);
            }
            (*out)[(*n)++] = id;
        }
        s = e;
    }
}

/* A string, or a list of strings joined by sep; NULL for anything else. Caller frees. */
static char *join_value(json_t *v, const char *sep)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (!json_is_array(v))
        return NULL;
    struct strbuf sb;
    sb_init(&sb);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            sb_release(&sb);
            return NULL;
        }
        if (i)
            sb_adds(&sb, sep);
        sb_adds(&sb, json_string_value(item));
    }
    return sb_take(&sb);
}

static struct entry *push_entry(struct snip_lib *lib)
{
    if (lib->n == lib->cap) {
        lib->cap = lib->cap ? lib->cap * 2 : 64;
        lib->v = xrealloc(lib->v, lib->cap * sizeof *lib->v);
    }
    struct entry *e = &lib->v[lib->n++];
    memset(e, 0, sizeof *e);
    return e;
}

int snip_lib_load_json(struct snip_lib *lib, const char *text, size_t len, const char *language,
                       const char *origin)
{
    json_error_t jerr;
    /* Snippet files in the wild are JSONC: comments and trailing commas. Strip them first. */
    struct strbuf clean;
    sb_init(&clean);
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            sb_addc(&clean, c);
            if (c == '\\' && i + 1 < len)
                sb_addc(&clean, text[++i]);
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '/' && i + 1 < len && text[i + 1] == '/') {
            while (i < len && text[i] != '\n')
                i++;
            sb_addc(&clean, '\n');
            continue;
        } else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(text[i] == '*' && text[i + 1] == '/'))
                i++;
            i++;
            sb_addc(&clean, ' ');
            continue;
        } else if (c == ',') {
            size_t j = i + 1;
            while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' ||
                               text[j] == '\r'))
                j++;
            if (j < len && (text[j] == '}' || text[j] == ']'))
                continue; /* trailing comma */
        }
        sb_addc(&clean, c);
    }
    json_t *root = json_loadb(clean.data, clean.len, 0, &jerr);
    sb_release(&clean);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return US_EPARSE;
    }
    int count = 0;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (!json_is_object(val))
            continue;
        json_t *jp = json_object_get(val, "prefix");
        char *body = join_value(json_object_get(val, "body"), "\n");
        if (!body || !jp)
            goto skip;
        size_t np = json_is_array(jp) ? json_array_size(jp) : json_is_string(jp) ? 1 : 0;
        if (!np)
            goto skip;
        struct entry *e = push_entry(lib);
        const char **prefixes = xcalloc(np, sizeof *prefixes);
        size_t got = 0;
        if (json_is_string(jp)) {
            prefixes[got++] = xstrdup(json_string_value(jp));
        } else {
            for (size_t i = 0; i < np; i++)
                if (json_is_string(json_array_get(jp, i)))
                    prefixes[got++] = xstrdup(json_string_value(json_array_get(jp, i)));
        }
        e->info.prefixes = prefixes;
        e->info.n_prefixes = got;
        e->info.name = xstrdup(key);
        e->info.body = body;
        char *desc = join_value(json_object_get(val, "description"), "\n");
        e->info.description = desc ? desc : xstrdup("");
        e->info.origin = xstrdup(origin ? origin : "");
        json_t *scope = json_object_get(val, "scope");
        if (json_is_string(scope) && json_string_value(scope)[0])
            split_scope(json_string_value(scope), &e->langs, &e->n_langs);
        else if (language)
            split_scope(language, &e->langs, &e->n_langs);
        count++;
        continue;
    skip:
        free(body);
    }
    json_decref(root);
    return count;
}

static int read_file(const char *path, struct strbuf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return US_EIO;
    char buf[16384];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sb_add(out, buf, n);
        if (out->len > SNIP_FILE_CAP) {
            rc = US_ETOOBIG;
            break;
        }
    }
    if (ferror(f))
        rc = US_EIO;
    fclose(f);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

int snip_lib_load_file(struct snip_lib *lib, const char *path, const char *language)
{
    struct strbuf text;
    sb_init(&text);
    int rc = read_file(path, &text);
    if (rc == 0) {
        char *lang = NULL;
        if (!language && ends_with(path, ".json")) {
            const char *b = strrchr(path, '/');
            b = b ? b + 1 : path;
            lang = xstrndup(b, strlen(b) - 5);
            language = lang;
        }
        rc = snip_lib_load_json(lib, text.data, text.len, language, path);
        free(lang);
    }
    sb_release(&text);
    return rc;
}

/* A package.json whose contributes.snippets lists {language, path}. Returns the count, or
 * US_ENOENT when the folder is not a snippet package. */
static int load_package(struct snip_lib *lib, const char *dir)
{
    char *pj = xasprintf("%s/package.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(pj, 0, &jerr);
    free(pj);
    json_t *list = root ? json_object_get(json_object_get(root, "contributes"), "snippets")
                        : NULL;
    if (!json_is_array(list)) {
        json_decref(root);
        return US_ENOENT;
    }
    int total = 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        json_t *jpath = json_object_get(item, "path");
        if (!json_is_string(jpath))
            continue;
        const char *rel = json_string_value(jpath);
        while (rel[0] == '.' && rel[1] == '/')
            rel += 2;
        if (strstr(rel, "..")) /* stay inside the package */
            continue;
        char *file = xasprintf("%s/%s", dir, rel);
        char *langs = join_value(json_object_get(item, "language"), ",");
        int rc = snip_lib_load_file(lib, file, langs ? langs : "");
        if (rc < 0)
            LOG_W("snippet", "%s: %s (skipped)", file, us_strerror(rc));
        else
            total += rc;
        free(langs);
        free(file);
    }
    json_decref(root);
    return total;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_plain_dir(struct snip_lib *lib, const char *dir, bool must_exist)
{
    DIR *d = opendir(dir);
    if (!d)
        return must_exist ? (errno == ENOENT ? US_ENOENT : US_EIO) : 0;
    /* Sorted, so that load order (and thus ties in lookups) does not depend on the FS. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, "package.json"))
            continue;
        if (!ends_with(de->d_name, ".json") && !ends_with(de->d_name, ".code-snippets"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    int total = 0;
    for (size_t i = 0; i < n; i++) {
        char *file = xasprintf("%s/%s", dir, names[i]);
        int rc = snip_lib_load_file(lib, file, NULL);
        if (rc < 0)
            LOG_W("snippet", "%s: %s (skipped)", file, us_strerror(rc));
        else
            total += rc;
        free(file);
        free(names[i]);
    }
    free(names);
    return total;
}

int snip_lib_load_dir(struct snip_lib *lib, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? US_ENOENT : US_EIO;
    if (!S_ISDIR(st.st_mode))
        return US_EINVAL;
    int rc = load_package(lib, dir);
    if (rc != US_ENOENT)
        return rc;
    rc = load_plain_dir(lib, dir, true);
    if (rc < 0)
        return rc;
    char *sub = xasprintf("%s/snippets", dir);
    int more = load_plain_dir(lib, sub, false);
    free(sub);
    return rc + (more > 0 ? more : 0);
}

int snip_lib_load_builtin(struct snip_lib *lib)
{
    int total = 0;
    for (size_t i = 0; snip__bundled[i].language; i++) {
        int rc = snip_lib_load_json(lib, snip__bundled[i].json, strlen(snip__bundled[i].json),
                                    snip__bundled[i].language, "builtin");
        if (rc < 0)
            LOG_E("snippet", "bundled %s snippets: %s", snip__bundled[i].language,
                  us_strerror(rc));
        else
            total += rc;
    }
    return total;
}

static int match_cmp(const void *a, const void *b)
{
    const struct snip_match *x = a, *y = b;
    if (x->score != y->score)
        return y->score - x->score;
    return strcmp(x->prefix, y->prefix);
}

size_t snip_lib_lookup(const struct snip_lib *lib, const char *language, const char *typed,
                       struct snip_match *out, size_t max)
{
    if (!max || !language)
        return 0;
    const char *fam[4];
    size_t nfam = family(language, fam);
    size_t tl = typed ? strlen(typed) : 0;
    size_t n = 0;
    for (size_t i = 0; i < lib->n; i++) {
        const struct entry *e = &lib->v[i];
        if (!entry_in(e, fam, nfam))
            continue;
        int best = 0;
        const char *bp = NULL;
        for (size_t p = 0; p < e->info.n_prefixes; p++) {
            int s = fuzzy_score(typed ? typed : "", tl, e->info.prefixes[p],
                                strlen(e->info.prefixes[p]));
            if (s > best) {
                best = s;
                bp = e->info.prefixes[p];
            }
        }
        if (!best)
            continue;
        /* The language's own snippets before its family's (typescript over javascript). */
        if (e->langs && e->n_langs && strcmp(e->langs[0], fam[0]) == 0)
            best += 1;
        struct snip_match m = {&e->info, bp, best};
        if (n < max) {
            out[n++] = m;
        } else {
            /* replace the worst kept one if this is better */
            size_t worst = 0;
            for (size_t k = 1; k < n; k++)
                if (match_cmp(&out[k], &out[worst]) > 0)
                    worst = k;
            if (match_cmp(&m, &out[worst]) < 0)
                out[worst] = m;
        }
    }
    qsort(out, n, sizeof *out, match_cmp);
    return n;
}

size_t snip_lib_list(const struct snip_lib *lib, const char *language,
                     const struct snip_info **out, size_t max)
{
    const char *fam[4];
    size_t nfam = family(language, fam);
    size_t n = 0;
    for (size_t i = 0; i < lib->n && n < max; i++)
        if (entry_in(&lib->v[i], fam, nfam))
            out[n++] = &lib->v[i].info;
    return n;
}

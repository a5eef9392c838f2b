/* snipvars: the values of VS Code's snippet variables (declared in snippet.h). Dates use local
 * time like VS Code; CLIPBOARD is whatever the client gave us (servers cannot read it). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "snippet.h"

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Per-language comment tokens, keyed by LSP languageId. */
static const struct {
    const char *lang, *line, *bstart, *bend;
} comment_table[] = {
    {"c", "//", "/*", "*/"},           {"cpp", "//", "/*", "*/"},
    {"java", "//", "/*", "*/"},        {"javascript", "//", "/*", "*/"},
    {"javascriptreact", "//", "/*", "*/"}, {"typescript", "//", "/*", "*/"},
    {"typescriptreact", "//", "/*", "*/"}, {"go", "//", "/*", "*/"},
    {"rust", "//", "/*", "*/"},        {"csharp", "//", "/*", "*/"},
    {"swift", "//", "/*", "*/"},       {"kotlin", "//", "/*", "*/"},
    {"scala", "//", "/*", "*/"},       {"php", "//", "/*", "*/"},
    {"css", "", "/*", "*/"},           {"python", "#", "\"\"\"", "\"\"\""},
    {"ruby", "#", "=begin", "=end"},   {"shellscript", "#", "", ""},
    {"perl", "#", "=pod", "=cut"},     {"yaml", "#", "", ""},
    {"toml", "#", "", ""},             {"makefile", "#", "", ""},
    {"r", "#", "", ""},                {"lua", "--", "--[[", "]]"},
    {"sql", "--", "/*", "*/"},         {"haskell", "--", "{-", "-}"},
    {"html", "", "<!--", "-->"},       {"xml", "", "<!--", "-->"},
    {"markdown", "", "<!--", "-->"},   {"elixir", "#", "", ""},
    {"clojure", ";", "", ""},          {"lisp", ";", "", ""},
    {"vim", "\"", "", ""},             {"json", "", "", ""},
    {"jsonc", "//", "/*", "*/"},
};

void snip_comment_tokens(const char *language, const char **line, const char **block_start,
                         const char **block_end)
{
    *line = *block_start = *block_end = "";
    if (!language)
        return;
    for (size_t i = 0; i < US_ARRAY_LEN(comment_table); i++) {
        if (strcmp(comment_table[i].lang, language) == 0) {
            *line = comment_table[i].line;
            *block_start = comment_table[i].bstart;
            *block_end = comment_table[i].bend;
            return;
        }
    }
}

/* xorshift64*: RANDOM and UUID need variety, not cryptographic strength. */
static uint64_t next_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t seed_of(const struct snip_env *env)
{
    static uint64_t counter;
    if (env && env->seed)
        return env->seed;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return ((uint64_t)tv.tv_sec << 20) ^ (uint64_t)tv.tv_usec ^ (++counter * 0x9E3779B97F4A7C15ULL) ^ 1;
}

static void add_opt(struct strbuf *out, const char *s)
{
    if (s)
        sb_adds(out, s);
}

int snip_var_resolve(const char *name, const struct snip_env *env, struct strbuf *out)
{
    static const struct snip_env empty;
    if (!env)
        env = &empty;
    static const char *const months[] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};
    static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
    const char *path = env->path;

    if (!strcmp(name, "TM_FILENAME")) {
        if (path)
            sb_adds(out, base_name(path));
        return 0;
    }
    if (!strcmp(name, "TM_FILENAME_BASE")) {
        if (path) {
            const char *b = base_name(path);
            const char *dot = strrchr(b, '.');
            sb_add(out, b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
        }
        return 0;
    }
    if (!strcmp(name, "TM_DIRECTORY")) {
        if (path) {
            const char *slash = strrchr(path, '/');
            if (slash)
                sb_add(out, path, slash == path ? 1 : (size_t)(slash - path));
        }
        return 0;
    }
    if (!strcmp(name, "TM_FILEPATH")) {
        add_opt(out, path);
        return 0;
    }
    if (!strcmp(name, "RELATIVE_FILEPATH")) {
        if (path) {
            const char *ws = env->workspace_folder;
            size_t wl = ws ? strlen(ws) : 0;
            while (wl > 1 && ws[wl - 1] == '/')
                wl--;
            if (wl && !strncmp(path, ws, wl) && path[wl] == '/')
                sb_adds(out, path + wl + 1);
            else
                sb_adds(out, path);
        }
        return 0;
    }
    if (!strcmp(name, "WORKSPACE_FOLDER")) {
        add_opt(out, env->workspace_folder);
        return 0;
    }
    if (!strcmp(name, "WORKSPACE_NAME")) {
        if (env->workspace_folder) {
            char *ws = xstrdup(env->workspace_folder);
            size_t l = strlen(ws);
            while (l > 1 && ws[l - 1] == '/')
                ws[--l] = 0;
            sb_adds(out, base_name(ws));
            free(ws);
        }
        return 0;
    }
    if (!strcmp(name, "TM_LINE_INDEX")) {
        sb_addf(out, "%u", (unsigned)env->line);
        return 0;
    }
    if (!strcmp(name, "TM_LINE_NUMBER")) {
        sb_addf(out, "%u", (unsigned)env->line + 1);
        return 0;
    }
    if (!strcmp(name, "TM_CURRENT_LINE")) {
        add_opt(out, env->current_line);
        return 0;
    }
    if (!strcmp(name, "TM_CURRENT_WORD")) {
        add_opt(out, env->current_word);
        return 0;
    }
    if (!strcmp(name, "TM_SELECTED_TEXT") || !strcmp(name, "SELECTION")) {
        add_opt(out, env->selected_text);
        return 0;
    }
    if (!strcmp(name, "CLIPBOARD")) {
        add_opt(out, env->clipboard);
        return 0;
    }
    if (!strcmp(name, "LINE_COMMENT") || !strcmp(name, "BLOCK_COMMENT_START") ||
        !strcmp(name, "BLOCK_COMMENT_END")) {
        const char *l, *bs, *be;
        snip_comment_tokens(env->language, &l, &bs, &be);
        sb_adds(out, name[0] == 'L' ? l : strstr(name, "START") ? bs : be);
        return 0;
    }
    if (!strcmp(name, "RANDOM") || !strcmp(name, "RANDOM_HEX") || !strcmp(name, "UUID")) {
        uint64_t st = seed_of(env);
        if (name[0] == 'U') {
            uint64_t a = next_rand(&st), b = next_rand(&st);
            /* version 4, variant 10xx */
            sb_addf(out, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
                    (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
                    (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
                    (unsigned long long)(b & 0xffffffffffffULL));
        } else if (name[6] == '_') {
            sb_addf(out, "%06llx", (unsigned long long)(next_rand(&st) & 0xffffff));
        } else {
            sb_addf(out, "%06llu", (unsigned long long)(next_rand(&st) % 1000000));
        }
        return 0;
    }
    if (!strncmp(name, "CURRENT_", 8)) {
        time_t now = env->now ? env->now : time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        const char *k = name + 8;
        if (!strcmp(k, "YEAR"))
            sb_addf(out, "%04d", tm.tm_year + 1900);
        else if (!strcmp(k, "YEAR_SHORT"))
            sb_addf(out, "%02d", tm.tm_year % 100);
        else if (!strcmp(k, "MONTH"))
            sb_addf(out, "%02d", tm.tm_mon + 1);
        else if (!strcmp(k, "MONTH_NAME"))
            sb_adds(out, months[tm.tm_mon]);
        else if (!strcmp(k, "MONTH_NAME_SHORT"))
            sb_add(out, months[tm.tm_mon], 3);
        else if (!strcmp(k, "DATE"))
            sb_addf(out, "%02d", tm.tm_mday);
        else if (!strcmp(k, "DAY_NAME"))
            sb_adds(out, days[tm.tm_wday]);
        else if (!strcmp(k, "DAY_NAME_SHORT"))
            sb_add(out, days[tm.tm_wday], 3);
        else if (!strcmp(k, "HOUR"))
            sb_addf(out, "%02d", tm.tm_hour);
        else if (!strcmp(k, "MINUTE"))
            sb_addf(out, "%02d", tm.tm_min);
        else if (!strcmp(k, "SECOND"))
            sb_addf(out, "%02d", tm.tm_sec);
        else if (!strcmp(k, "SECONDS_UNIX"))
            sb_addf(out, "%lld", (long long)now);
        else if (!strcmp(k, "TIMEZONE_OFFSET")) {
            long off = tm.tm_gmtoff;
            char sign = off < 0 ? '-' : '+';
            if (off < 0)
                off = -off;
            sb_addf(out, "%c%02ld:%02ld", sign, off / 3600, (off / 60) % 60);
        } else
            return US_ENOENT;
        return 0;
    }
    return US_ENOENT;
}

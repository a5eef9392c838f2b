/* privacy: the masker. One forward pass over the text; only a few bytes wake a detector: the
 * first letter of a word that starts a known prefix (the catalog), '=' and ':' (assignments to
 * secret-looking names, "scheme://user:pw@"), and '-' (PEM markers, "--password value"). Spans
 * come out sorted and disjoint because every detector starts at or after the last span's end.
 *
 * Far reads. A detector reads the line of the byte that woke it (and the line breaks around
 * it), no more: names stop at a line break, values and tokens run to the line's end at most,
 * and no character class holds '\n'. Three kinds read further, and say so (privacy__note_far): key
 * blocks (PEM, PuTTY: up to 64 KiB ahead and the base64 lines around), and a value in triple
 * quotes, backticks or a string continued by an escaped line break. So without far reads
 * each line masks the same wherever it stands, which is what lets privacy_remask.c re-mask
 * only the lines an edit changed. A new detector that reads past its line must call
 * note_far too (test_privacy_corpus checks re-masking against full passes). */
#include "privacy.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "privacy_int.h"

/* ------------------------------------------------------------------ scanner state */

/* Which bytes can wake a detector; filled with the catalog. */
enum { T_WORD = 1, T_OP = 2, T_DASH = 4 };
static uint8_t trig[256];
/* Rules by first byte: index of the first rule and how many follow (rules_by_byte). */
static uint16_t by_byte[256][2];
static uint16_t rule_order[512];
static uint8_t rule_len[512]; /* prefix lengths, by rule index */

static void init_tables(void)
{
    privacy__catalog_init();
    size_t k = 0;
    for (size_t r = 0; r < privacy__n_rules; r++)
        rule_len[r] = (uint8_t)strlen(privacy__rules[r].prefix);
    for (int c = 0; c < 256; c++) {
        by_byte[c][0] = (uint16_t)k;
        for (size_t r = 0; r < privacy__n_rules; r++)
            if ((unsigned char)privacy__rules[r].prefix[0] == c)
                rule_order[k++] = (uint16_t)r;
        by_byte[c][1] = (uint16_t)(k - by_byte[c][0]);
        if (by_byte[c][1])
            trig[c] |= T_WORD;
    }
    /* structured shapes: JWT, Bearer/Basic, PuTTY, Discord, Telegram and Mailchimp (digits
     * and hex), webhooks are in the table */
    const char *extra = "eBbPMNOabcdef0123456789";
    for (const char *p = extra; *p; p++)
        trig[(unsigned char)*p] |= T_WORD;
    trig['='] |= T_OP;
    trig[':'] |= T_OP;
    trig['-'] |= T_DASH;
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static inline bool is_word(unsigned char c)
{
    return (privacy__cs[c] & CS_ALNUM_US) != 0;
}

static inline bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

void privacy__add_span(struct privacy__scan *s, size_t a, size_t b, enum privacy_type ty)
{
    if (a < s->floor)
        a = s->floor;
    if (b <= a)
        return;
    if (s->nv == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->nv++] = (struct privacy_span){.start = a, .end = b, .type = ty};
    s->floor = b;
}

void privacy__note_far(struct privacy__scan *s, size_t lo, size_t hi)
{
    if (s->n_far == s->cap_far) {
        s->cap_far = s->cap_far ? s->cap_far * 2 : 4;
        s->far = xrealloc(s->far, s->cap_far * sizeof *s->far);
    }
    s->far[s->n_far++] = (struct privacy__reach){lo, hi < s->n ? hi : s->n};
}

bool privacy__starts(const struct privacy__scan *s, size_t i, const char *lit)
{
    size_t l = strlen(lit);
    return i + l <= s->n && memcmp(s->t + i, lit, l) == 0;
}

static size_t run_of(const struct privacy__scan *s, size_t i, uint16_t cs)
{
    size_t j = i;
    while (j < s->n && (privacy__cs[(unsigned char)s->t[j]] & cs))
        j++;
    return j - i;
}

/* Shannon entropy in bits per character. */
static double entropy(const char *p, size_t n)
{
    unsigned cnt[256] = {0};
    for (size_t i = 0; i < n; i++)
        cnt[(unsigned char)p[i]]++;
    double h = 0;
    for (int c = 0; c < 256; c++)
        if (cnt[c]) {
            double q = (double)cnt[c] / (double)n;
            h -= q * log2(q);
        }
    return h;
}

/* A value that looks generated: long enough, no spaces, mixed classes, high entropy. */
bool privacy__looks_random(const char *p, size_t n)
{
    if (n < 16 || n > 4096)
        return false;
    bool up = false, lo = false, dg = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        /* a call, an index, a string or a statement's end is code: on Debian's Python, C,
         * JavaScript and configuration files every value taken for random with one of these
         * was ("key.encode('utf-8')", "random.randrange(10000000)", "toJSON(message.sig);") */
        if (c <= ' ' || strchr("()[]{}'\";,", c))
            return false;
        up |= c >= 'A' && c <= 'Z';
        lo |= c >= 'a' && c <= 'z';
        dg |= is_digit(c);
    }
    if (!dg || !(up || lo))
        return false;
    /* a dotted name ("win32api.RegOpenKeyEx") is an attribute read */
    bool dotted = false, seg_start = true, name = true;
    for (size_t i = 0; i < n && name; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            name = !seg_start;
            dotted = seg_start = true;
        } else {
            name = is_alpha(c) || c == '_' || (!seg_start && is_digit(c));
            seg_start = false;
        }
    }
    if (dotted && name && !seg_start)
        return false;
    double h = entropy(p, n);
    return (up && lo) ? h >= 3.5 : h >= 3.0; /* hex: at most 4 bits */
}

/* ------------------------------------------------------------------ prefixed tokens */

static bool body_ok(const char *p, size_t n, uint8_t flags)
{
    if (!(flags & (PR_MIXED | PR_DIGIT)))
        return true;
    bool up = false, lo = false, dg = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        up |= c >= 'A' && c <= 'Z';
        lo |= c >= 'a' && c <= 'z';
        dg |= is_digit(c);
    }
    if ((flags & PR_MIXED) && !(up && lo))
        return false;
    if ((flags & PR_DIGIT) && !dg)
        return false;
    return true;
}

/* A token of the catalog at i (a word start): its [*a, *b) to mask and type. */
static bool match_rule(const struct privacy__scan *s, size_t i, size_t *a, size_t *b,
                       enum privacy_type *ty)
{
    unsigned char c = (unsigned char)s->t[i];
    for (uint16_t k = 0; k < by_byte[c][1]; k++) {
        uint16_t ri = rule_order[by_byte[c][0] + k];
        const struct privacy__rule *r = &privacy__rules[ri];
        size_t pl = rule_len[ri];
        if (i + pl > s->n || s->t[i + 1] != r->prefix[1] || memcmp(s->t + i, r->prefix, pl))
            continue;
        size_t body = run_of(s, i + pl, r->cs);
        /* a window may cut a token: at a fragment's end accept what is there */
        bool cut = s->fragment && i + pl + body == s->n && body >= 4;
        if ((body < r->min && !cut) || body > r->max)
            continue;
        if (!body_ok(s->t + i + pl, body, r->flags))
            continue;
        *a = (r->flags & PR_KEEP_PREFIX) ? i + pl : i;
        *b = i + pl + body;
        *ty = (enum privacy_type)r->type;
        return true;
    }
    return false;
}

/* eyJ...eyJ....sig: a JWT (or JWE, 5 parts). */
static size_t match_jwt(const struct privacy__scan *s, size_t i)
{
    if (!privacy__starts(s, i, "eyJ"))
        return 0;
    size_t j = i, parts = 0;
    for (;;) {
        size_t r = run_of(s, j, CS_B64URL);
        if (parts < 2 && r < 10)
            return 0;
        if (parts == 1 && !privacy__starts(s, j, "eyJ"))
            return 0;
        j += r;
        parts++;
        if (parts >= 5 || j >= s->n || s->t[j] != '.')
            break;
        j++;
    }
    return parts >= 3 ? j : 0;
}

/* Discord bot token: [MNO] + 23..27 alnum . 6 . 27..40 */
static size_t match_discord(const struct privacy__scan *s, size_t i)
{
    char c = s->t[i];
    if (c != 'M' && c != 'N' && c != 'O')
        return 0;
    size_t r1 = run_of(s, i + 1, CS_ALNUM);
    if (r1 < 23 || r1 > 27)
        return 0;
    size_t j = i + 1 + r1;
    if (j >= s->n || s->t[j] != '.')
        return 0;
    size_t r2 = run_of(s, j + 1, CS_B64URL);
    if (r2 != 6)
        return 0;
    j += 1 + r2;
    if (j >= s->n || s->t[j] != '.')
        return 0;
    size_t r3 = run_of(s, j + 1, CS_B64URL);
    if (r3 < 27 || r3 > 40)
        return 0;
    return j + 1 + r3;
}

/* Telegram bot token: 8..10 digits ':' "AA" + 33 */
static size_t match_telegram(const struct privacy__scan *s, size_t i)
{
    size_t d = 0;
    while (i + d < s->n && is_digit((unsigned char)s->t[i + d]))
        d++;
    if (d < 8 || d > 10 || !privacy__starts(s, i + d, ":AA"))
        return 0;
    size_t r = run_of(s, i + d + 1, CS_B64URL);
    return r == 35 ? i + d + 1 + r : 0;
}

/* Mailchimp: 32 hex "-us" 1..2 digits */
static size_t match_mailchimp(const struct privacy__scan *s, size_t i)
{
    size_t h = run_of(s, i, CS_HEX);
    if (h != 32 || !privacy__starts(s, i + 32, "-us"))
        return 0;
    size_t j = i + 35, d = 0;
    while (j + d < s->n && is_digit((unsigned char)s->t[j + d]))
        d++;
    return (d >= 1 && d <= 2) ? j + d : 0;
}

/* Any token-shaped secret starting at word start i; [*a, *b) and type. */
static bool match_token(const struct privacy__scan *s, size_t i, size_t *a, size_t *b,
                        enum privacy_type *ty)
{
    unsigned char c = (unsigned char)s->t[i];
    size_t e;
    if (c == 'e' && (e = match_jwt(s, i))) {
        *a = i, *b = e, *ty = PRIVACY_JWT;
        return true;
    }
    if (by_byte[c][1] && match_rule(s, i, a, b, ty))
        return true;
    if ((c == 'M' || c == 'N' || c == 'O') && (e = match_discord(s, i))) {
        *a = i, *b = e, *ty = PRIVACY_DISCORD;
        return true;
    }
    if (is_digit(c) && (e = match_telegram(s, i))) {
        *a = i, *b = e, *ty = PRIVACY_TELEGRAM;
        return true;
    }
    if ((privacy__cs[c] & CS_HEX) && (e = match_mailchimp(s, i))) {
        *a = i, *b = e, *ty = PRIVACY_API_TOKEN;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------ URLs with passwords */

/* Is the scheme ending at i (before "://") one that carries a login: a database or a message
 * broker ("mysql+pymysql", "mongodb+srv", "jdbc:postgresql")? */
static bool login_scheme(const struct privacy__scan *s, size_t i)
{
    static const char *const names[] = {"postgres", "postgresql", "mysql", "mariadb", "mongodb",
                                        "redis", "rediss", "amqp", "amqps", "mssql",
                                        "sqlserver", "oracle", "ftp", "sftp", "smtp", "ldap",
                                        "ldaps", NULL};
    size_t a = i;
    while (a > 0 && (is_word((unsigned char)s->t[a - 1]) || s->t[a - 1] == '+' ||
                     s->t[a - 1] == '.' || s->t[a - 1] == '-'))
        a--;
    size_t e = a;
    while (e < i && s->t[e] != '+')
        e++;
    for (const char *const *n = names; *n; n++)
        if (strlen(*n) == e - a && memcmp(s->t + a, *n, e - a) == 0)
            return true;
    return false;
}

/* At i: "://". scheme://user:password@host -> the password. A login URL whose '@' is not
 * there yet (the password being typed: "postgresql://app:hunt") masks what follows the
 * colon unless it is a port. */
static size_t try_url(struct privacy__scan *s, size_t i)
{
    if (i < 2 || !is_alpha((unsigned char)s->t[i - 1]))
        return 0;
    size_t p = i + 3, colon = 0, at = 0, q = p;
    for (; q < s->n && q < p + 512; q++) {
        char c = s->t[q];
        if (c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '`' ||
            c == '<' || c == '>' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
            c == '\\')
            break;
        if (c == ':' && !colon && !at)
            colon = q;
        if (c == '@')
            at = q;
    }
    if (colon && !at && q > colon + 1 && login_scheme(s, i)) {
        bool port = true, plain = true;
        for (size_t k = colon + 1; k < q; k++) {
            port = port && is_digit((unsigned char)s->t[k]);
            plain = plain && s->t[k] && !strchr("$%{}[]()", s->t[k]);
        }
        if (port || !plain)
            return 0;
        privacy__add_span(s, colon + 1, q, PRIVACY_URL_PASSWORD);
        return q;
    }
    if (!colon || !at || at <= colon + 1)
        return 0;
    char first = s->t[colon + 1];
    if (first == '$' || first == '{' || (first == '%' && s->t[colon + 2] == '('))
        return 0;
    privacy__add_span(s, colon + 1, at, PRIVACY_URL_PASSWORD);
    return at;
}

/* ------------------------------------------------------------------ names and values */

/* The name written before position e (exclusive): an identifier, a quoted key, an indexed key
 * ("X['password']"). Returns false if there is none; *lstart tells whether only whitespace or
 * a shell/Dockerfile keyword precedes it on its line. */
static bool name_before(const struct privacy__scan *s, size_t e, size_t *na, size_t *nb, bool *quoted,
                        size_t *before)
{
    const char *t = s->t;
    size_t j = e;
    while (j > 0 && (t[j - 1] == ' ' || t[j - 1] == '\t'))
        j--;
    *quoted = false;
    if (j > 0 && t[j - 1] == ']') {
        j--;
        while (j > 0 && (t[j - 1] == ' ' || t[j - 1] == '\t'))
            j--;
    }
    if (j > 0 && (t[j - 1] == '"' || t[j - 1] == '\'' || t[j - 1] == '`')) {
        char q = t[j - 1];
        size_t k = j - 1;
        size_t lim = k > 128 ? k - 128 : 0;
        while (k > lim && t[k - 1] != q && t[k - 1] != '\n')
            k--;
        if (k == lim || t[k - 1] != q)
            return false;
        *na = k, *nb = j - 1, *quoted = true;
        *before = k - 1;
        return *nb > *na;
    }
    size_t k = j, lim = j > 128 ? j - 128 : 0;
    while (k > lim && (is_word((unsigned char)t[k - 1]) || t[k - 1] == '.' ||
                       t[k - 1] == '-' || t[k - 1] == '$'))
        k--;
    if (k == j)
        return false;
    *na = k, *nb = j;
    *before = k;
    return true;
}

static bool at_line_start(const struct privacy__scan *s, size_t k)
{
    const char *t = s->t;
    while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t'))
        k--;
    if (k == 0 || t[k - 1] == '\n')
        return true;
    /* "export X=", "ENV X=", "- x: " */
    size_t w = k;
    while (w > 0 && t[w - 1] != ' ' && t[w - 1] != '\t' && t[w - 1] != '\n')
        w--;
    static const char *const kw[] = {"export", "ENV", "env", "set", "setx", "declare", "local",
                                     "readonly", "-", "ARG", "SetEnv", NULL};
    bool ok = false;
    for (const char *const *p = kw; *p; p++)
        if (k - w == strlen(*p) && memcmp(t + w, *p, k - w) == 0)
            ok = true;
    if (!ok)
        return false;
    while (w > 0 && (t[w - 1] == ' ' || t[w - 1] == '\t'))
        w--;
    return w == 0 || t[w - 1] == '\n';
}

/* A literal that is a template or a reference, not a value ("${DB_PASSWORD}", "{token}"). */
static bool templated(const char *p, size_t n)
{
    if (n == 0)
        return true;
    if (p[0] == '$' || p[0] == '{' || (p[0] == '%' && n > 1 && (p[1] == '(' || p[1] == 's')) ||
        (p[0] == '<' && n > 1 && p[1] == '%'))
        return true;
    return false;
}

static const char *strip_scheme(const char *p, size_t n, size_t *skip)
{
    /* "Basic " alone (a header being built: "Basic " + b64encode(...)) is all skipped */
    static const char *const sch[] = {"Bearer ", "bearer ", "Basic ", "basic ", "Token ",
                                      "token ", "Bot ", NULL};
    *skip = 0;
    for (const char *const *q = sch; *q; q++) {
        size_t l = strlen(*q);
        if (n >= l && memcmp(p, *q, l) == 0) {
            *skip = l;
            break;
        }
    }
    return p + *skip;
}

/* Values of secret-looking names that hold none, found on Debian's code and headers: a printf
 * template ("Digest %s", "%d,%d-%d,%d:"), a version or an OID ("1.3.6.1.5.5.7.3.1"). */
static bool not_a_secret(const char *p, size_t n)
{
    if (memmem(p, n, "%s", 2) || memmem(p, n, "%d", 2))
        return true;
    bool dots = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.')
            dots = true;
        else if (!is_digit((unsigned char)p[i]))
            return false;
    }
    return dots;
}

/* Mask [a, b) as the value of a name of class cls and type ty; a known token shape at its
 * start gives its own type. Returns true if masked. */
static bool mask_value(struct privacy__scan *s, size_t a, size_t b, int cls, enum privacy_type ty)
{
    size_t skip;
    strip_scheme(s->t + a, b - a, &skip);
    a += skip;
    if (b <= a || templated(s->t + a, b - a) || not_a_secret(s->t + a, b - a))
        return false;
    /* shapes with their own detector keep their structure: "scheme://user:<pw>@host",
     * a PuTTY file's public lines */
    const char *url = memmem(s->t + a, b - a, "://", 3);
    if (url && (cls == NAME_WEAK || memchr(url, '@', (size_t)(s->t + b - url))))
        return false;
    if (privacy__starts(s, a, "PuTTY-User-Key-File-"))
        return false;
    size_t ta, tb;
    enum privacy_type tt;
    if (match_token(s, a, &ta, &tb, &tt) && tb <= b) {
        ty = tt;
    } else if (privacy__starts(s, a, "-----BEGIN ")) {
        ty = PRIVACY_PRIVATE_KEY;
    } else if (cls == NAME_WEAK) {
        if (!privacy__looks_random(s->t + a, b - a))
            return false;
    } else if (b - a < 3 && ty != PRIVACY_PASSWORD) {
        return false;
    }
    if (ty == PRIVACY_AWS_SECRET && b - a != 40)
        ty = PRIVACY_SECRET;
    privacy__add_span(s, a, b, ty);
    return true;
}

/* The text after a quote that is not closed on its line, up to the line's end: a value being
 * typed if nothing of code follows it (`print("password = ", x)` has a space, a comma, a
 * parenthesis). */
static bool open_value(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strchr(" \t\"'`(),;", p[i]) && p[i])
            return false;
    return true;
}

/* A quoted literal at v: [*a, *b) its content (the quote's position past the value). A quote
 * not closed on its line holds a value being typed ("password = \"hunt", in an editor that
 * does not close quotes itself, one keystroke at a time): its text to the line's end, if it
 * reads as a value (open_value). */
static bool quoted_at(struct privacy__scan *s, size_t v, size_t *a, size_t *b)
{
    const char *t = s->t;
    size_t p = v;
    /* string prefixes: f"", b'', r"", rb"", u"", @"" */
    for (int k = 0; k < 2 && p < s->n && strchr("fFbBrRuU@", t[p]) && t[p]; k++)
        p++;
    if (p >= s->n || (t[p] != '"' && t[p] != '\'' && t[p] != '`'))
        return false;
    if (p > v && !(t[p] == '"' || t[p] == '\''))
        return false;
    char q = t[p];
    if (p + 2 < s->n && t[p + 1] == q && t[p + 2] == q) { /* triple quotes */
        const char *end = memmem(t + p + 3, s->n - p - 3, q == '"' ? "\"\"\"" : "'''", 3);
        privacy__note_far(s, privacy__line_start(s, v), end ? (size_t)(end - t) + 3 : s->n);
        if (!end)
            return false;
        *a = p + 3, *b = (size_t)(end - t);
        return true;
    }
    size_t k = p + 1;
    bool crossed = false; /* a backtick string's line breaks, or an escaped one */
    while (k < s->n && t[k] != q && (t[k] != '\n' || q == '`')) {
        if (t[k] == '\\' && k + 1 < s->n)
            k++;
        crossed |= t[k] == '\n';
        k++;
    }
    if (crossed || (q == '`' && k >= s->n))
        privacy__note_far(s, privacy__line_start(s, v), k + 1);
    if (k >= s->n || t[k] != q) {
        if (q == '`' || crossed)
            return false;
        size_t e = k;
        while (e > p + 1 && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\r'))
            e--;
        if (!open_value(t + p + 1, e - p - 1))
            return false;
        *a = p + 1, *b = e;
        return true;
    }
    *a = p + 1, *b = k;
    return true;
}

static bool is_plain_ident(const char *p, size_t n)
{
    if (n == 0 || !(is_alpha((unsigned char)p[0]) || p[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_word((unsigned char)p[i]) && p[i] != '.')
            return false;
    return true;
}

static bool has_any(const char *p, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (strchr(set, p[i]) && p[i])
            return true;
    return false;
}

enum style { ST_SHELL, ST_YAML, ST_SPACED, ST_FLAG };

/* An unquoted value at v in the given style: mask it if it reads as a literal. */
static size_t unquoted_value(struct privacy__scan *s, size_t v, enum style st, int cls,
                             enum privacy_type ty)
{
    const char *t = s->t;
    size_t e = privacy__line_end(s, v);
    size_t b = v;
    if (st == ST_SHELL || st == ST_FLAG) {
        while (b < e && t[b] != ' ' && t[b] != '\t' && t[b] != '\r')
            b++;
    } else {
        b = e;
        for (size_t k = v; k + 1 < e; k++)
            if ((t[k] == ' ' || t[k] == '\t') && t[k + 1] == '#') {
                b = k;
                break;
            }
        while (b > v && (t[b - 1] == ' ' || t[b - 1] == '\t' || t[b - 1] == '\r'))
            b--;
    }
    size_t n = b - v;
    const char *p = t + v;
    /* "credentials=None," "U_UNEXPECTED_TOKEN=0x10100,": an argument or an initializer */
    if (st == ST_SHELL && n > 1 && p[n - 1] == ',' &&
        (privacy__value_is_keyword(p, n - 1) || is_digit((unsigned char)p[0])))
        return 0;
    if (n == 0 || privacy__value_is_keyword(p, n))
        return 0;
    /* first characters that make a reference, an expression or a YAML tag/alias/anchor */
    const char *bad_first = st == ST_YAML ? "$`!&*|><{[(@%'\"" : "$`(<{['\"-";
    if (strchr(bad_first, p[0]))
        return 0;
    switch (st) {
    case ST_SHELL:
    case ST_FLAG:
        if (has_any(p, n, "`") || memmem(p, n, "$(", 2) || has_any(p, n, "()"))
            return 0;
        break;
    case ST_YAML:
        if (has_any(p, n, "()[]{}\"'") || strchr(",;:{(", p[n - 1]) || memmem(p, n, " =", 2) ||
            (memchr(p, '.', n) && is_plain_ident(p, n)))
            return 0;
        break;
    case ST_SPACED: {
        bool random = privacy__looks_random(p, n);
        if (!random && (has_any(p, n, "()[]{}<>,;\"' \t") || is_plain_ident(p, n)))
            return 0;
        break;
    }
    }
    return mask_value(s, v, b, cls, ty) ? b : 0;
}

/* An environment variable's name: upper-case letters, digits and '_'. */
static bool is_upper_name(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
            return false;
    return true;
}

/* At i: '=' or ':' (or the '=' of ":=", "=>"). */
static size_t try_assign(struct privacy__scan *s, size_t i)
{
    const char *t = s->t;
    char c = t[i];
    size_t op_end = i + 1, name_end = i;
    bool arrow = false;
    if (c == '=') {
        if (i + 1 < s->n && t[i + 1] == '=')
            return 0;
        if (i > 0 && strchr("=!<>+-*/%&|^~?", t[i - 1]) && t[i - 1])
            return 0;
        if (i + 1 < s->n && t[i + 1] == '>')
            arrow = true, op_end++;
        if (i > 0 && t[i - 1] == ':')
            name_end = i - 1;
    } else {
        if (i + 1 < s->n && (t[i + 1] == ':' || t[i + 1] == '='))
            return 0;
        if (i > 0 && t[i - 1] == ':')
            return 0;
        if (i + 2 < s->n && t[i + 1] == '/' && t[i + 2] == '/')
            return try_url(s, i);
    }
    size_t na, nb, before;
    bool quoted;
    if (!name_before(s, name_end, &na, &nb, &quoted, &before))
        return 0;
    enum privacy_type ty = PRIVACY_SECRET;
    int cls = privacy__name_class(t + na, nb - na, &ty);
    bool hop = false;
    if (cls == NAME_NONE && c == '=' && !quoted) {
        /* a typed declaration: "password: str = ...", "var token string = ..." */
        size_t k = before;
        while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\t'))
            k--;
        if (k > 0 && t[k - 1] == ':')
            k--;
        size_t na2, nb2, before2;
        bool q2;
        if (k < before && name_before(s, k, &na2, &nb2, &q2, &before2) && !q2) {
            cls = privacy__name_class(t + na2, nb2 - na2, &ty);
            before = before2, hop = true;
        }
    }
    if (cls == NAME_NONE)
        return 0;
    size_t v = op_end;
    while (v < s->n && (t[v] == ' ' || t[v] == '\t'))
        v++;
    size_t a, b;
    if (v < s->n && quoted_at(s, v, &a, &b)) {
        /* a constant named for itself: [MATCH_KEYS] = "MATCH_KEYS" */
        bool self = b - a == nb - na && memcmp(t + a, t + na, b - a) == 0;
        if (b > a && !self && mask_value(s, a, b, cls, ty))
            return b;
        return 0;
    }
    if (arrow || hop || v >= s->n)
        return 0;
    bool spaced_before = name_end > 0 && (t[name_end - 1] == ' ' || t[name_end - 1] == '\t');
    bool flag = nb - na > 2 && t[na] == '-' && t[na + 1] == '-';
    bool ls = flag || at_line_start(s, before);
    /* "PGPASSWORD=x psql" inside a command string, or after another word ("sudo
     * PGPASSWORD=x ..."): an environment assignment wherever a command line holds one. */
    if (!ls && c == '=' && !spaced_before && !quoted && before > 0 && cls == NAME_STRONG &&
        (t[before - 1] == '"' || t[before - 1] == '\'' || t[before - 1] == '`' ||
         ((t[before - 1] == ' ' || t[before - 1] == '\t') && nb - na >= 6 &&
          is_upper_name(t + na, nb - na))))
        ls = true;
    enum style st;
    if (c == '=' && !spaced_before && ls)
        st = flag ? ST_FLAG : ST_SHELL;
    else if (c == '=' && flag)
        st = ST_FLAG;
    else if (c == ':' && ls && v > op_end)
        st = ST_YAML;
    else if (c == '=' && spaced_before && v > op_end && ls)
        st = ST_SPACED;
    else
        return 0;
    return unquoted_value(s, v, st, cls, ty);
}

/* At i: "--name value" with a secret-looking name. */
static size_t try_flag(struct privacy__scan *s, size_t i)
{
    const char *t = s->t;
    if (!(i + 2 < s->n && t[i + 1] == '-' && is_alpha((unsigned char)t[i + 2])))
        return 0;
    if (i > 0 && (is_word((unsigned char)t[i - 1]) || t[i - 1] == '-'))
        return 0;
    size_t k = i + 2;
    while (k < s->n && (is_word((unsigned char)t[k]) || t[k] == '-'))
        k++;
    if (k >= s->n || (t[k] != ' ' && t[k] != '\t'))
        return 0; /* "--password=x" is an assignment */
    enum privacy_type ty = PRIVACY_SECRET;
    int cls = privacy__name_class(t + i + 2, k - i - 2, &ty);
    if (cls != NAME_STRONG)
        return 0;
    size_t v = k;
    while (v < s->n && (t[v] == ' ' || t[v] == '\t'))
        v++;
    size_t a, b;
    if (v < s->n && quoted_at(s, v, &a, &b))
        return b > a && mask_value(s, a, b, cls, ty) ? b : 0;
    return unquoted_value(s, v, ST_FLAG, cls, ty);
}

/* At a word start i. */
static size_t try_word(struct privacy__scan *s, size_t i)
{
    const char *t = s->t;
    size_t a, b;
    enum privacy_type ty;
    if (match_token(s, i, &a, &b, &ty)) {
        privacy__add_span(s, a, b, ty);
        return b;
    }
    char c = t[i];
    if (c == 'B' || c == 'b') {
        size_t l = privacy__starts(s, i, "Bearer ") || privacy__starts(s, i, "bearer ") ? 7
                   : privacy__starts(s, i, "Basic ") || privacy__starts(s, i, "basic ") ? 6 : 0;
        if (!l)
            return 0;
        size_t v = i + l;
        while (v < s->n && t[v] == ' ')
            v++;
        size_t r = run_of(s, v, CS_TOKEN68);
        if (l == 7 && r >= 16) {
            if (match_token(s, v, &a, &b, &ty) && b == v + r)
                privacy__add_span(s, v, b, ty);
            else
                privacy__add_span(s, v, v + r, PRIVACY_BEARER);
            return v + r;
        }
        if (l == 6 && r >= 12 && body_ok(t + v, r, PR_DIGIT | PR_MIXED)) {
            privacy__add_span(s, v, v + r, PRIVACY_PASSWORD);
            return v + r;
        }
        return 0;
    }
    if (c == 'P')
        return privacy__try_putty(s, i);
    return 0;
}

/* ------------------------------------------------------------------ the pass */

static void scan_text(struct privacy__scan *s)
{
    pthread_once(&tables_once, init_tables);
    const unsigned char *t = (const unsigned char *)s->t;
    if (s->fragment)
        privacy__fragment_edge_start(s);
    size_t i = s->floor, limit = s->limit ? s->limit : s->n;
    while (i < limit) {
        uint8_t k = trig[t[i]];
        if (is_word(t[i])) {
            /* a word: only its start can begin a token; skip the rest of it at once */
            size_t next = 0;
            if ((k & T_WORD) && (i == 0 || !is_word(t[i - 1])))
                next = try_word(s, i);
            if (next > i) {
                i = next;
                continue;
            }
            i++;
            while (i < s->n && is_word(t[i]))
                i++;
            continue;
        }
        if (!k) {
            i++;
            continue;
        }
        size_t next = 0;
        if (k & T_OP)
            next = try_assign(s, i);
        else if ((k & T_DASH) && i + 2 < s->n && t[i + 1] == '-')
            next = t[i + 2] == '-' ? privacy__try_pem(s, i) : try_flag(s, i);
        i = next > i ? next : i + 1;
    }
    if (s->fragment)
        privacy__fragment_edge_end(s);
}

void privacy__scan_run(struct privacy__scan *s)
{
    s->fragment = false;
    scan_text(s);
}

static size_t mask_any(const char *text, size_t len, bool fragment, struct mask_result *out)
{
    struct privacy__scan s = {.t = text ? text : "", .n = text ? len : 0, .fragment = fragment};
    scan_text(&s);
    free(s.far);
    return privacy__render(s.t, s.n, s.v, s.nv, out);
}

size_t privacy_mask(const char *text, size_t len, struct mask_result *out)
{
    return mask_any(text, len, false, out);
}

size_t privacy_mask_fragment(const char *text, size_t len, struct mask_result *out)
{
    return mask_any(text, len, true, out);
}

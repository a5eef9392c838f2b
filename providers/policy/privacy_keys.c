/* privacy_keys: the masker's key-block detectors (privacy.c calls them at "-----" and at
 * "PuTTY"): PEM private keys with or without their BEGIN or END line, PuTTY key files, and the
 * base64 body lines around them. They read any number of lines, so each reports its read as
 * far (privacy.c, "far reads"): while a document holds one, every version is masked whole. */
#include <string.h>

#include "privacy_int.h"

static inline bool is_b64(unsigned char c) { return (privacy__cs[c] & CS_B64) != 0; }

static bool is_pem_header(const char *p, size_t n)
{
    static const char *const names[] = {
        "Proc-Type:", "DEK-Info:", "Comment:", "Version:", "Hash:", "Charset:", "Encryption:",
        "Public-Lines:", "Private-Lines:", "Private-MAC:", "Private-Hash:", "Key-Derivation:",
        "Argon2-Memory:", "Argon2-Passes:", "Argon2-Parallelism:", "Argon2-Salt:",
        "PuTTY-User-Key-File-", NULL};
    for (const char *const *h = names; *h; h++) {
        size_t l = strlen(*h);
        if (n >= l && memcmp(p, *h, l) == 0)
            return true;
    }
    return false;
}

/* Is [a, b) one line of a key body? Code decorations around it are allowed (indentation,
 * quotes, a literal "\n", '+', ','), as in a key pasted into a string. Sets *len to the
 * number of base64 characters. */
bool privacy__body_line(const struct privacy__scan *s, size_t a, size_t b, size_t *len)
{
    const char *t = s->t;
    while (a < b && (t[a] == ' ' || t[a] == '\t' || t[a] == '"' || t[a] == '\''))
        a++;
    while (b > a && t[b - 1] && strchr(" \t\r\"',+;\\", t[b - 1]))
        b--;
    if (b - a >= 2 && t[b - 2] == '\\' && t[b - 1] == 'n')
        b -= 2;
    while (b > a && t[b - 1] && strchr(" \t\r\"',+;\\", t[b - 1]))
        b--;
    if (a == b)
        return false;
    if (is_pem_header(t + a, b - a)) {
        *len = 0;
        return true;
    }
    for (size_t i = a; i < b; i++)
        if (!is_b64((unsigned char)t[i]))
            return false;
    *len = b - a;
    return true;
}

static bool blank_line(const struct privacy__scan *s, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (s->t[i] != ' ' && s->t[i] != '\t' && s->t[i] != '\r')
            return false;
    return true;
}

/* From p (the start of a line), the end of the key-body lines that follow: a blank line
 * continues the run only when a body line comes next (encrypted PEM headers). */
static size_t body_forward(const struct privacy__scan *s, size_t p)
{
    size_t end = p ? p - 1 : 0; /* the '\n' ending the previous line */
    while (p < s->n) {
        size_t e = privacy__line_end(s, p), len;
        if (privacy__body_line(s, p, e, &len)) {
            end = e;
        } else if (blank_line(s, p, e) && e < s->n) {
            size_t e2 = privacy__line_end(s, e + 1);
            if (!privacy__body_line(s, e + 1, e2, &len))
                break;
        } else {
            break;
        }
        if (e >= s->n)
            return s->n;
        p = e + 1;
    }
    return end;
}

/* From ls (the start of a line), the start of the key-body lines just above it. */
static size_t body_backward(const struct privacy__scan *s, size_t ls)
{
    size_t cur = ls;
    while (cur > s->floor && cur > 0) {
        size_t pe = cur - 1, ps = privacy__line_start(s, pe), len;
        if (ps < s->floor)
            break;
        if (!privacy__body_line(s, ps, pe, &len))
            break;
        cur = ps;
    }
    return cur;
}

/* "-----BEGIN|END <label>-----" at i: the label holds PRIVATE KEY. Returns the end of the
 * closing dashes, 0 if not such a marker. */
static size_t pem_marker(const struct privacy__scan *s, size_t i, bool begin)
{
    size_t j = i + (begin ? 11 : 9); /* "-----BEGIN " / "-----END " */
    size_t lim = j + 80 < s->n ? j + 80 : s->n;
    for (size_t k = j; k + 5 <= lim; k++) {
        if (s->t[k] == '\n')
            return 0;
        if (memcmp(s->t + k, "-----", 5) == 0) {
            const char *lab = s->t + j;
            size_t ll = k - j;
            for (size_t q = 0; q + 11 <= ll; q++)
                if (memcmp(lab + q, "PRIVATE KEY", 11) == 0)
                    return k + 5;
            return 0;
        }
    }
    /* a fragment may end inside the BEGIN line: "-----BEGIN RSA PRIV" */
    if (begin && s->fragment && lim == s->n)
        return s->n;
    return 0;
}

/* The rest of the marker's line after the dashes: a key in a one-line string
 * ("-----BEGIN...-----\nMIIE...\n-----END...") ends at the string's quote. */
static size_t rest_of_line(const struct privacy__scan *s, size_t p)
{
    size_t e = privacy__line_end(s, p);
    for (size_t k = p; k < e; k++)
        if (s->t[k] == '"' || s->t[k] == '\'')
            return k;
    return e;
}

size_t privacy__try_pem(struct privacy__scan *s, size_t i)
{
    /* A marker's block is found by reading ahead or back over any number of lines: the whole
     * text is what it depends on. */
    if (privacy__starts(s, i, "-----BEGIN ") || privacy__starts(s, i, "-----END "))
        privacy__note_far(s, 0, s->n);
    if (privacy__starts(s, i, "-----BEGIN ")) {
        size_t h = pem_marker(s, i, true);
        if (!h)
            return 0;
        /* a matching END within 64 KiB closes the block */
        size_t lim = h + 65536 < s->n ? h + 65536 : s->n;
        const char *e = memmem(s->t + h, lim - h, "-----END ", 9);
        if (e) {
            size_t ei = (size_t)(e - s->t);
            size_t close = pem_marker(s, ei, false);
            if (close) {
                privacy__add_span(s, i, close, PRIVACY_PRIVATE_KEY);
                return close;
            }
        }
        /* no END: the key runs over the body lines that follow (to a fragment's end) */
        size_t r = rest_of_line(s, h);
        size_t end = r;
        if (r == privacy__line_end(s, h) && r < s->n)
            end = body_forward(s, r + 1);
        if (end < r)
            end = r;
        privacy__add_span(s, i, end, PRIVACY_PRIVATE_KEY);
        return end;
    }
    if (privacy__starts(s, i, "-----END ")) {
        size_t close = pem_marker(s, i, false);
        if (!close)
            return 0;
        /* END without BEGIN: the body lines above it (to a fragment's start) */
        size_t ls = privacy__line_start(s, i);
        size_t a = ls < i && ls >= s->floor ? ls : i;
        if (a == ls)
            a = body_backward(s, ls);
        privacy__add_span(s, a, close, PRIVACY_PRIVATE_KEY);
        return close;
    }
    return 0;
}

/* PuTTY key file: from the header through Private-MAC (or the end of the body lines). */
size_t privacy__try_putty(struct privacy__scan *s, size_t i)
{
    if (!privacy__starts(s, i, "PuTTY-User-Key-File-"))
        return 0;
    privacy__note_far(s, 0, s->n);
    size_t lim = i + 65536 < s->n ? i + 65536 : s->n;
    const char *mac = memmem(s->t + i, lim - i, "Private-MAC:", 12);
    size_t end;
    if (mac)
        end = privacy__line_end(s, (size_t)(mac - s->t));
    else
        end = body_forward(s, privacy__line_end(s, i) < s->n ? privacy__line_end(s, i) + 1 : s->n);
    if (end < privacy__line_end(s, i))
        end = privacy__line_end(s, i);
    privacy__add_span(s, i, end, PRIVACY_PRIVATE_KEY);
    return end;
}

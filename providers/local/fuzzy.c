/* fuzzy: see fuzzy.h. Deliberately simple (no dynamic programming): per-keystroke ranking of a
 * few thousand candidates must stay in microseconds. */
#include "fuzzy.h"

#include <ctype.h>

static int lower(int c) { return tolower((unsigned char)c); }

/* A word start: first byte, after '_' or '-', or an uppercase letter after a lowercase one. */
static bool word_start(const char *s, size_t i)
{
    if (i == 0)
        return true;
    unsigned char p = (unsigned char)s[i - 1], c = (unsigned char)s[i];
    if ((p == '_' || p == '-' || p == '.') && c != '_' && c != '-')
        return true;
    return islower(p) && isupper(c);
}

/* Tie-break within a class: shorter candidates first (they are what people type most). */
static int tail(size_t cand_len, size_t typed_len, int gaps)
{
    long t = 999 - (long)(cand_len - typed_len) * 8 - gaps * 20;
    return t < 1 ? 1 : (int)t;
}

int fuzzy_score(const char *typed, size_t typed_len, const char *cand, size_t cand_len)
{
    if (typed_len == 0)
        return FUZZY_PREFIX * 1000 + tail(cand_len, 0, 0);
    if (typed_len > cand_len)
        return 0;
    if (lower(typed[0]) != lower(cand[0]))
        return 0;

    bool exact = true, ci = true;
    for (size_t i = 0; i < typed_len; i++) {
        if (typed[i] != cand[i])
            exact = false;
        if (lower(typed[i]) != lower(cand[i])) {
            ci = false;
            break;
        }
    }
    if (exact)
        return FUZZY_PREFIX * 1000 + tail(cand_len, typed_len, 0);
    if (ci)
        return FUZZY_PREFIX_CI * 1000 + tail(cand_len, typed_len, 0);

    /* Word-start match: every typed letter after the first lands on a word start, or continues
     * the run of the previous one ("gefi" -> get_file). */
    size_t j = 1;
    bool words = true;
    int gaps = 0;
    size_t i = 1;
    for (; j < typed_len && i < cand_len; i++) {
        if (lower(typed[j]) == lower(cand[i])) {
            bool cont = lower(typed[j - 1]) == lower(cand[i - 1]);
            if (!cont && !word_start(cand, i))
                words = false;
            if (!cont)
                gaps++;
            j++;
        }
    }
    if (j < typed_len)
        return 0;
    return (words ? FUZZY_WORDS : FUZZY_SCATTER) * 1000 + tail(cand_len, typed_len, gaps);
}

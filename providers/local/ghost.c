/* ghost: the local engine's ghost text (local_engine_line): what the AI offered and the user
 * accepted at such a place, the identifier being typed finished, then the line model (lines.h)
 * with a minimum confidence per rule. */
#include <string.h>

#include "engine_int.h"
#include "learned.h"
#include "lines.h"
#include "base.h"

struct ghost_tune local_ghost_tune = {
    .ghost = LINE_MIN_CONFIDENCE,
    /* In a comment the longest match speaks from this floor (> 1: no ghost text in comments),
     * the line-start model at its own floor, and the n-gram only to close a block comment.
     * Prose is where the n-gram, copy and analogy rules guess (tuning half: under half of
     * their first words right), while a long match there is mostly boilerplate seen before, a
     * licence header or a banner, and ~90 % right from 0.4 (55 % exact to the line's end); at
     * a line start the line-start model continues such text at its margin (11 of 12). */
    .comment = 0.4,
    .ngram = 0.25,
    .copy = 0.35,
    .analogy = 0.6,
    .start = 0.5,
    .follow = 0.5,
    .match = 0.3,
    .match_start = 0.55,
    .other = 0.5,
};

/* Each rule's confidence means something different (see struct ghost_tune). */
static double rule_min_conf(const char *rule)
{
    const struct ghost_tune *t = &local_ghost_tune;
    double f = t->ghost / LINE_MIN_CONFIDENCE;
    if (!rule)
        return f * t->other;
    if (!strcmp(rule, "ngram"))
        return f * t->ngram;
    if (!strcmp(rule, "copy"))
        return f * t->copy;
    if (!strcmp(rule, "analogy"))
        return f * t->analogy;
    if (!strcmp(rule, "start"))
        return f * t->start;
    if (!strcmp(rule, "follow"))
        return f * t->follow;
    if (!strcmp(rule, "match"))
        return f * t->match;
    if (!strcmp(rule, "match-start"))
        return f * t->match_start;
    return f * t->other;
}

/* What the AI offered and the user accepted at a place like this one, when the line has
 * nothing after the cursor. */
static bool learned_line(struct local_engine *e, const struct local_request *req,
                         struct strbuf *out)
{
    size_t le = req->offset;
    while (le < req->text_len && req->text[le] != '\n') {
        if (req->text[le] != ' ' && req->text[le] != '\t' && req->text[le] != '\r')
            return false;
        le++;
    }
    size_t from = req->offset > 4096 ? req->offset - 4096 : 0;
    char key[600];
    size_t kn = learned_key(req->text + from, req->offset - from, key, sizeof key);
    size_t tn;
    const char *t = kn ? learned_find(e->star, key, kn, &tn) : NULL;
    if (t)
        t = learned_text_at(req->text, req->offset, t, tn, &tn);
    if (!t)
        return false;
    sb_add(out, t, tn);
    LOG_D("local", "line suggestion (learned)");
    return true;
}

/* The identifier being typed, finished when one candidate is clearly best (a case-sensitive
 * prefix match well ahead of the next), then the line model's continuation after it. */
#define FINISH_MARGIN 150.0
static bool finish_identifier(struct local_engine *e, const struct local_request *req,
                              struct strbuf *out)
{
    size_t plen = req->partial ? strlen(req->partial) : 0;
    if (plen < 2 || req->ctx->situation == SYN_SIT_STRING)
        return false;
    struct local_item *items;
    size_t n = local_engine_complete(e, req, &items, 8);
    const struct local_item *top = NULL, *second = NULL;
    for (size_t i = 0; i < n; i++) {
        if (items[i].kind == LOCAL_KIND_SNIPPET || items[i].snippet)
            continue;
        if (!top)
            top = &items[i];
        else if (!second)
            second = &items[i];
    }
    bool ok = top && strlen(top->insert_text) > plen &&
              !strncmp(top->insert_text, req->partial, plen) &&
              (!second || top->score - second->score >= FINISH_MARGIN);
    if (ok) {
        const char *rest = top->insert_text + plen;
        size_t rn = strlen(rest);
        sb_add(out, rest, rn);
        /* what usually follows the finished name on this line */
        struct strbuf doc;
        sb_init(&doc);
        sb_add(&doc, req->text, req->offset);
        sb_add(&doc, rest, rn);
        size_t cur = doc.len;
        sb_add(&doc, req->text + req->offset, req->text_len - req->offset);
        struct lines_query q = {.text = doc.data, .len = doc.len, .cursor = cur,
                                .min_match = rule_min_conf("match")};
        struct lines_suggestion s;
        bool more = lines_suggest(e->lines, &q, &s) == 0 && s.text &&
                    s.confidence >= LINE_MIN_CONFIDENCE;
        if (more)
            sb_adds(out, s.text);
        lines_suggestion_release(&s);
        /* a function is called: open its parentheses unless they are there already */
        size_t after = req->offset;
        while (after < req->text_len && req->text[after] == ' ')
            after++;
        if (!more && (top->kind == LOCAL_KIND_FUNCTION || top->kind == LOCAL_KIND_METHOD) &&
            (after >= req->text_len || req->text[after] != '('))
            sb_addc(out, '(');
        sb_release(&doc);
        LOG_D("local", "line suggestion (finish)");
    }
    local_items_free(items, n);
    return ok;
}

/* The answer ends the block comment being typed: star and slash alone, or the slash after a
 * typed star. In a comment the n-gram mostly guesses prose (tuning half: under half of its
 * first words right), but where a file writes one-line comments it knows where they end (14 of
 * 16 right). Only a comment with no end yet gets one (the syntax layer tells: a line comment,
 * or one that ends further down, is not `unclosed`). */
static bool closes_comment(const char *text, size_t cursor, const char *t)
{
    while (*t == ' ' || *t == '\t')
        t++;
    bool star_typed = cursor >= 2 && text[cursor - 1] == '*' && text[cursor - 2] != '/';
    if (star_typed && t[0] == '/')
        t++;
    else if (t[0] == '*' && t[1] == '/')
        t += 2;
    else
        return false;
    while (*t == ' ' || *t == '\t')
        t++;
    return !*t;
}

/* The line model's answer if it clears its rule's floor (in a comment: the comment's floor
 * for the longest match); the rule is logged either way. */
static bool offer_line(const struct lines_suggestion *s, bool comment, struct strbuf *out)
{
    double floor = comment && !strcmp(s->rule, "match") ? local_ghost_tune.comment
                                                         : rule_min_conf(s->rule);
    bool ok = s->confidence >= floor && s->text[0];
    if (ok)
        sb_adds(out, s->text);
    LOG_D("local", "line suggestion (%s, %.2f)%s", s->rule, s->confidence,
          ok ? "" : " dropped");
    return ok;
}

bool local_engine_line(struct local_engine *e, const struct local_request *req,
                       struct strbuf *out)
{
    if (!e->use_lines)
        return false;
    local_tune_from_env();
    bool comment = req->ctx->situation == SYN_SIT_COMMENT;
    if (comment && local_ghost_tune.comment > 1)
        return false;
    if (req->uri) {
        size_t mlen;
        const char *m = local_masked_text(e, req->uri, req->edit_count, req->text, req->text_len,
                                          &mlen);
        size_t learned = lines_doc_set(e->lines, req->uri, m, mlen, req->ctx->line);
        local_note_learned(e, req->uri, learned);
    }
    if (!comment && learned_count(e->star) && learned_line(e, req, out))
        return true;
    if (!comment && finish_identifier(e, req, out))
        return true;
    struct lines_query q = {.text = req->text, .len = req->text_len, .cursor = req->offset,
                           .uri = req->uri, .min_confidence = local_ghost_tune.ghost,
                           .min_match = comment ? local_ghost_tune.comment
                                                : rule_min_conf("match"),
                           .min_start_match = rule_min_conf("match-start"),
                           .prose = comment};
    struct lines_suggestion s;
    bool ok = false;
    if (lines_suggest(e->lines, &q, &s) == 0 && s.text) {
        ok = offer_line(&s, comment, out);
        lines_suggestion_release(&s);
    }
    if (ok || !comment || !req->cursor || !req->cursor->unclosed)
        return ok;
    /* In a comment being typed, every rule is asked again for one answer only: its end. */
    q.prose = false;
    if (lines_suggest(e->lines, &q, &s) == 0 && s.text) {
        ok = closes_comment(req->text, req->offset, s.text) && offer_line(&s, false, out);
        lines_suggestion_release(&s);
    }
    return ok;
}

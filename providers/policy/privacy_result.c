/* privacy_result: what a masking gives back (privacy.h's struct mask_result): the masked text
 * rendered from the original and its spans, the placeholder names, the per-type counts for the
 * trace log, and its release. Shared by full passes (privacy.c) and re-masking by lines
 * (privacy_remask.c). */
#include <stdlib.h>
#include <string.h>

#include "privacy.h"
#include "privacy_int.h"

static const char *const type_names[] = {
#define PRIVACY__TYPE_NAME(e, name) name,
    PRIVACY_TYPE_MAP(PRIVACY__TYPE_NAME)
#undef PRIVACY__TYPE_NAME
};

const char *privacy_type_name(enum privacy_type t)
{
    return (unsigned)t < PRIVACY_TYPE_COUNT ? type_names[t] : "?";
}

size_t privacy__render(const char *t, size_t n, struct privacy_span *v, size_t nv,
                       struct mask_result *out)
{
    memset(out, 0, sizeof *out);
    struct strbuf sb;
    sb_init(&sb);
    size_t at = 0;
    for (size_t k = 0; k < nv; k++) {
        struct privacy_span *sp = &v[k];
        sb_add(&sb, t + at, sp->start - at);
        sp->mstart = sb.len;
        sb_addf(&sb, "<secret:%s>", privacy_type_name(sp->type));
        for (size_t q = sp->start; q < sp->end; q++)
            if (t[q] == '\n')
                sb_addc(&sb, '\n');
        sp->mend = sb.len;
        out->counts[sp->type]++;
        at = sp->end;
    }
    sb_add(&sb, t + at, n - at);
    out->text = sb_detach(&sb, &out->len);
    if (!out->text)
        out->text = xstrdup("");
    out->spans = v;
    out->n_spans = nv;
    return nv;
}

void privacy_result_release(struct mask_result *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->spans);
    memset(r, 0, sizeof *r);
}

char *privacy_counts_format(const struct mask_result *r)
{
    struct strbuf sb;
    sb_init(&sb);
    for (int t = 0; t < PRIVACY_TYPE_COUNT; t++)
        if (r->counts[t])
            sb_addf(&sb, "%s%s=%u", sb.len ? " " : "", type_names[t], r->counts[t]);
    char *out = sb_detach(&sb, NULL);
    return out ? out : xstrdup("");
}

/* wrap_merge: one answer out of Understudy's and the wrapped server's (pure JSON work). */
#include "wrap_merge.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

enum pos_encoding wrap_merge_encoding(json_t *result, const char **name)
{
    json_t *caps = json_object_get(result, "capabilities");
    json_t *enc = json_object_get(caps, "positionEncoding");
    if (!json_is_string(enc))
        enc = json_object_get(result, "offsetEncoding"); /* clangd's pre-3.17 extension */
    *name = json_is_string(enc) ? json_string_value(enc) : "utf-16";
    return strcmp(*name, "utf-8") == 0 ? POS_UTF8 : POS_UTF16;
}

/* Append the strings of `from` missing in the array `into`. */
static void union_strings(json_t *into, json_t *from)
{
    size_t i, j;
    json_t *v, *u;
    json_array_foreach(from, i, v) {
        bool found = false;
        json_array_foreach(into, j, u) {
            if (json_equal(u, v)) {
                found = true;
                break;
            }
        }
        if (!found)
            json_array_append(into, v);
    }
}

/* Union the string array at obj[key] with other[key]. */
static void union_member(json_t *obj, json_t *other, const char *key)
{
    json_t *from = json_object_get(other, key);
    if (!json_is_array(from))
        return;
    json_t *into = json_object_get(obj, key);
    if (!json_is_array(into)) {
        json_object_set_new(obj, key, json_array());
        into = json_object_get(obj, key);
    }
    union_strings(into, from);
}

json_t *wrap_merge_init(json_t *child, json_t *local)
{
    json_t *res = json_is_object(child) ? json_deep_copy(child) : json_object();
    json_t *caps = json_object_get(res, "capabilities");
    if (!json_is_object(caps)) {
        json_object_set_new(res, "capabilities", json_object());
        caps = json_object_get(res, "capabilities");
    }
    json_t *lcaps = json_object_get(local, "capabilities");
    json_t *inl = json_object_get(lcaps, "inlineCompletionProvider");
    if (inl)
        json_object_set(caps, "inlineCompletionProvider", inl);

    json_t *cp = json_object_get(caps, "completionProvider");
    json_t *lcp = json_object_get(lcaps, "completionProvider");
    if (!json_is_object(cp)) {
        if (lcp)
            json_object_set_new(caps, "completionProvider", json_deep_copy(lcp));
    } else {
        union_member(cp, lcp, "triggerCharacters");
    }

    json_t *ec = json_object_get(caps, "executeCommandProvider");
    json_t *lec = json_object_get(lcaps, "executeCommandProvider");
    if (!json_is_object(ec)) {
        if (lec)
            json_object_set_new(caps, "executeCommandProvider", json_deep_copy(lec));
    } else {
        union_member(ec, lec, "commands");
    }
    if (!json_object_get(res, "serverInfo"))
        json_object_set(res, "serverInfo", json_object_get(local, "serverInfo"));
    return res;
}

bool wrap_is_ai_item(json_t *item)
{
    const char *src = json_string_value(json_object_get(json_object_get(item, "data"), "source"));
    return src && strncmp(src, "local:", 6) != 0;
}

/* Label without the decoration some servers add (clangd: a leading space or "•"). */
static char *label_key(json_t *item)
{
    const char *l = json_string_value(json_object_get(item, "label"));
    if (!l)
        return NULL;
    for (;;) {
        if (*l == ' ' || *l == '\t')
            l++;
        else if (strncmp(l, "\xe2\x80\xa2", 3) == 0) /* U+2022 bullet */
            l += 3;
        else
            break;
    }
    size_t n = strlen(l);
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
        n--;
    return xstrndup(l, n);
}

static const char *insert_text(json_t *item)
{
    const char *t = json_string_value(json_object_get(json_object_get(item, "textEdit"), "newText"));
    if (!t)
        t = json_string_value(json_object_get(item, "insertText"));
    return t;
}

/* Add item (borrowed) unless its label or inserted text was seen; seen is a set (object). */
static void add_unique(json_t *out, json_t *seen, json_t *item, const char *sort_prefix)
{
    char *key = label_key(item);
    const char *ins = insert_text(item);
    bool dup = (key && json_object_get(seen, key)) || (ins && json_object_get(seen, ins));
    if (!dup) {
        if (key)
            json_object_set_new(seen, key, json_true());
        if (ins)
            json_object_set_new(seen, ins, json_true());
        if (sort_prefix) {
            json_t *copy = json_copy(item);
            const char *st = json_string_value(json_object_get(item, "sortText"));
            char *ns = xasprintf("%s%s", sort_prefix, st ? st : key ? key : "");
            json_object_set_new(copy, "sortText", json_string(ns));
            free(ns);
            json_array_append_new(out, copy);
        } else {
            json_array_append(out, item);
        }
    }
    free(key);
}

json_t *wrap_merge_completion(json_t *child, json_t *local, bool child_timed_out)
{
    json_t *citems = json_is_array(child) ? child : json_object_get(child, "items");
    json_t *litems = json_object_get(local, "items");
    bool incomplete = child_timed_out || json_is_true(json_object_get(child, "isIncomplete")) ||
                      json_is_true(json_object_get(local, "isIncomplete"));
    json_t *out = json_array(), *seen = json_object();
    size_t i;
    json_t *it;
    /* "!" and "~" sort before and after the digits and letters servers use in sortText. */
    json_array_foreach(litems, i, it) {
        if (wrap_is_ai_item(it))
            add_unique(out, seen, it, "!");
    }
    json_array_foreach(citems, i, it) add_unique(out, seen, it, NULL);
    json_array_foreach(litems, i, it) {
        if (!wrap_is_ai_item(it))
            add_unique(out, seen, it, "~");
    }
    json_decref(seen);
    return json_pack("{s:b, s:o}", "isIncomplete", incomplete, "items", out);
}

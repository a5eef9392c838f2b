/* wrap_merge: the pure merges of wrap mode, with the cases tests/integration/test_wrap.py checks
 * end to end (initialize unioned, encoding follows the child, completion ordered and deduped). */
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "wrap_merge.h"

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
    if (!v)
        fprintf(stderr, "bad test JSON: %s: %s\n", text, err.text);
    return v;
}

static const char *LOCAL_INIT =
    "{\"capabilities\": {\"positionEncoding\": \"utf-8\","
    " \"completionProvider\": {\"triggerCharacters\": [\".\", \":\", \">\", \"(\", \" \"],"
    " \"resolveProvider\": false}, \"inlineCompletionProvider\": {},"
    " \"executeCommandProvider\": {\"commands\": [\"understudy.status\", \"understudy.accepted\"]}},"
    " \"serverInfo\": {\"name\": \"understudy\"}}";

static bool has_string(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
        return true;
    return false;
}

static void init_unions_capabilities(void)
{
    json_t *child = J("{\"capabilities\": {\"completionProvider\": {\"triggerCharacters\": [\".\", \"#\"]},"
                      " \"executeCommandProvider\": {\"commands\": [\"child.fix\"]},"
                      " \"hoverProvider\": true}, \"serverInfo\": {\"name\": \"fake-child\"}}");
    json_t *local = J(LOCAL_INIT);
    json_t *res = wrap_merge_init(child, local);
    json_t *caps = json_object_get(res, "capabilities");
    json_t *trig = json_object_get(json_object_get(caps, "completionProvider"), "triggerCharacters");
    CHECK(has_string(trig, "#") && has_string(trig, " ") && has_string(trig, "("));
    size_t dots = 0, i;
    json_t *v;
    json_array_foreach(trig, i, v) dots += strcmp(json_string_value(v), ".") == 0;
    CHECK_EQ_INT(dots, 1);
    json_t *cmds = json_object_get(json_object_get(caps, "executeCommandProvider"), "commands");
    CHECK(has_string(cmds, "child.fix") && has_string(cmds, "understudy.status"));
    CHECK(json_is_object(json_object_get(caps, "inlineCompletionProvider")));
    CHECK(json_is_true(json_object_get(caps, "hoverProvider")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(res, "serverInfo"), "name")),
                 "fake-child");
    /* The child's own result is not touched. */
    CHECK(!json_object_get(json_object_get(child, "capabilities"), "inlineCompletionProvider"));
    json_decref(res);
    json_decref(child);
    json_decref(local);
}

static void init_child_without_providers(void)
{
    json_t *child = J("{\"capabilities\": {}}");
    json_t *local = J(LOCAL_INIT);
    json_t *res = wrap_merge_init(child, local);
    json_t *caps = json_object_get(res, "capabilities");
    CHECK(json_is_object(json_object_get(caps, "completionProvider")));
    CHECK(json_is_object(json_object_get(caps, "executeCommandProvider")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(res, "serverInfo"), "name")),
                 "understudy");
    /* Understudy's encoding is not copied in: the child's choice (none: utf-16) stands. */
    CHECK(!json_object_get(caps, "positionEncoding"));
    json_decref(res);
    /* A child result that is not an object counts as {}. */
    json_t *nul = json_null();
    res = wrap_merge_init(nul, local);
    CHECK(json_is_object(json_object_get(json_object_get(res, "capabilities"),
                                         "inlineCompletionProvider")));
    json_decref(res);
    json_decref(child);
    json_decref(local);
}

static void encoding_follows_child(void)
{
    const char *name;
    json_t *r = J("{\"capabilities\": {\"positionEncoding\": \"utf-8\"}}");
    CHECK_EQ_INT(wrap_merge_encoding(r, &name), POS_UTF8);
    CHECK_EQ_STR(name, "utf-8");
    json_decref(r);
    r = J("{\"capabilities\": {}}");
    CHECK_EQ_INT(wrap_merge_encoding(r, &name), POS_UTF16);
    CHECK_EQ_STR(name, "utf-16");
    json_decref(r);
    r = J("{\"capabilities\": {}, \"offsetEncoding\": \"utf-8\"}"); /* clangd 14 */
    CHECK_EQ_INT(wrap_merge_encoding(r, &name), POS_UTF8);
    json_decref(r);
    r = J("{\"capabilities\": {\"positionEncoding\": \"utf-32\"}}");
    CHECK_EQ_INT(wrap_merge_encoding(r, &name), POS_UTF16);
    CHECK_EQ_STR(name, "utf-32");
    json_decref(r);
}

static const char *LOCAL_POPUP =
    "{\"isIncomplete\": false, \"items\": ["
    " {\"label\": \"total_ai\", \"sortText\": \"0000\", \"data\": {\"source\": \"fake\"}},"
    " {\"label\": \"total\", \"sortText\": \"0001\", \"data\": {\"source\": \"local:word\"}},"
    " {\"label\": \"zeta\", \"sortText\": \"0002\", \"data\": {\"source\": \"local:symbol\"}}]}";

static void completion_order_and_dedup(void)
{
    json_t *child = J("{\"isIncomplete\": true, \"items\": ["
                      " {\"label\": \"child_item\", \"sortText\": \"a\"},"
                      " {\"label\": \"total\", \"insertText\": \"total\"}]}");
    json_t *local = J(LOCAL_POPUP);
    json_t *res = wrap_merge_completion(child, local, false);
    CHECK(json_is_true(json_object_get(res, "isIncomplete"))); /* the child's is honoured */
    json_t *items = json_object_get(res, "items");
    CHECK_EQ_INT(json_array_size(items), 4);
    const char *want[] = {"total_ai", "child_item", "total", "zeta"};
    for (size_t i = 0; i < 4 && i < json_array_size(items); i++)
        CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(items, i), "label")),
                     want[i]);
    /* AI first ("!"), the child's untouched, local after the child's ("~"). */
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(items, 0), "sortText")),
                 "!0000");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(items, 1), "sortText")), "a");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(items, 3), "sortText")),
                 "~0002");
    /* "total" came from the child: Understudy's local duplicate was dropped. */
    CHECK(!json_object_get(json_array_get(items, 2), "data"));
    /* The inputs are borrowed, not changed. */
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(local, "items"),
                                                                  0), "sortText")), "0000");
    json_decref(res);
    json_decref(child);
    json_decref(local);
}

static void completion_clangd_labels(void)
{
    /* clangd decorates labels with a leading space or bullet; an array result is allowed. */
    json_t *child = J("[{\"label\": \" total\"}, {\"label\": \"\\u2022zeta\"}, {\"label\": \"x\"}]");
    json_t *local = J(LOCAL_POPUP);
    json_t *res = wrap_merge_completion(child, local, false);
    CHECK(json_is_false(json_object_get(res, "isIncomplete")));
    json_t *items = json_object_get(res, "items");
    CHECK_EQ_INT(json_array_size(items), 4); /* total_ai, " total", "•zeta", x */
    json_decref(res);
    json_decref(child);
    json_decref(local);
}

static void completion_child_timed_out(void)
{
    json_t *local = J(LOCAL_POPUP);
    json_t *res = wrap_merge_completion(NULL, local, true);
    CHECK(json_is_true(json_object_get(res, "isIncomplete")));
    json_t *items = json_object_get(res, "items");
    CHECK_EQ_INT(json_array_size(items), 3);
    for (size_t i = 0; i < json_array_size(items); i++)
        CHECK(strcmp(json_string_value(json_object_get(json_array_get(items, i), "label")),
                     "child_item") != 0);
    json_decref(res);
    /* Nothing from Understudy: the child's list alone. */
    json_t *child = J("{\"items\": [{\"label\": \"a\"}, {\"label\": \"a\"}]}");
    res = wrap_merge_completion(child, NULL, false);
    CHECK_EQ_INT(json_array_size(json_object_get(res, "items")), 1);
    json_decref(res);
    json_decref(child);
    json_decref(local);
}

static void ai_items(void)
{
    json_t *a = J("{\"data\": {\"source\": \"claude\"}}"), *l = J("{\"data\": {\"source\": \"local:line\"}}"),
           *n = J("{\"label\": \"x\"}");
    CHECK(wrap_is_ai_item(a));
    CHECK(!wrap_is_ai_item(l));
    CHECK(!wrap_is_ai_item(n));
    json_decref(a);
    json_decref(l);
    json_decref(n);
}

#define TESTS(X)                                                                          \
    X(init_unions_capabilities)                                                           \
    X(init_child_without_providers)                                                       \
    X(encoding_follows_child)                                                             \
    X(completion_order_and_dedup)                                                         \
    X(completion_clangd_labels)                                                           \
    X(completion_child_timed_out)                                                         \
    X(ai_items)
CHECK_MAIN(TESTS)

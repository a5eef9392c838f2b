/* item_kind: see item_kind.h. */
#include "item_kind.h"

/* A switch without default: a kind added to local.h without a case here is a -Wswitch warning
 * (the build is kept -Wall clean), not a wrong kind in a client. */
int lsp_item_kind(enum local_kind kind)
{
    switch (kind) { /* LSP 3.17 CompletionItemKind */
    case LOCAL_KIND_TEXT: return 1;
    case LOCAL_KIND_METHOD: return 2;
    case LOCAL_KIND_FUNCTION: return 3;
    case LOCAL_KIND_FIELD: return 5;
    case LOCAL_KIND_VARIABLE: return 6;
    case LOCAL_KIND_CLASS: return 7;
    case LOCAL_KIND_MODULE: return 9;
    case LOCAL_KIND_KEYWORD: return 14;
    case LOCAL_KIND_SNIPPET: return 15;
    case LOCAL_KIND_STRUCT: return 22;
    case LOCAL_KIND_TYPE_PARAMETER: return 25;
    case LOCAL_KIND_COUNT: break;
    }
    return 1;
}

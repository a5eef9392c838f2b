/* item_kind: the local engine's item kinds (enum local_kind, providers/local/local.h) as LSP
 * CompletionItemKind numbers. The protocol's numbers live here, in lsp/, and nowhere below.
 * Boundary: a pure mapping, nothing changes hands. */
#ifndef US_ITEM_KIND_H
#define US_ITEM_KIND_H

#include "local.h"

/* The CompletionItemKind for kind; Text (1) for a value outside the enum. */
int lsp_item_kind(enum local_kind kind);

#endif

/* methods: the LSP method table as data, and the lifecycle states that gate it. Each row: method
 * name, handler, whether it is a request or a notification, and when it is allowed; server.c
 * builds the dispatch from it. Pure declarations: no memory changes hands here. */
#ifndef US_METHODS_H
#define US_METHODS_H

/* The session's lifecycle (LSP 3.17): before `initialize`, running, after `shutdown`, gone. */
enum lsp_state { LSP_STATE_UNINIT, LSP_STATE_RUNNING, LSP_STATE_SHUTDOWN, LSP_STATE_EXITED };

enum lsp_kind { LSP_KIND_REQUEST, LSP_KIND_NOTIFICATION };
enum lsp_when { LSP_WHEN_BEFORE_INIT, LSP_WHEN_RUNNING, LSP_WHEN_ALWAYS };

#define LSP_METHOD_MAP(X)                                                                 \
    X("initialize", lsp_on_initialize, LSP_KIND_REQUEST, LSP_WHEN_BEFORE_INIT)           \
    X("initialized", lsp_on_initialized, LSP_KIND_NOTIFICATION, LSP_WHEN_RUNNING)        \
    X("shutdown", lsp_on_shutdown, LSP_KIND_REQUEST, LSP_WHEN_RUNNING)                   \
    X("exit", lsp_on_exit, LSP_KIND_NOTIFICATION, LSP_WHEN_ALWAYS)                       \
    X("$/cancelRequest", lsp_on_cancel, LSP_KIND_NOTIFICATION, LSP_WHEN_ALWAYS)          \
    X("$/setTrace", lsp_on_ignore, LSP_KIND_NOTIFICATION, LSP_WHEN_RUNNING)              \
    X("textDocument/didOpen", lsp_on_did_open, LSP_KIND_NOTIFICATION, LSP_WHEN_RUNNING)  \
    X("textDocument/didChange", lsp_on_did_change, LSP_KIND_NOTIFICATION, LSP_WHEN_RUNNING) \
    X("textDocument/didClose", lsp_on_did_close, LSP_KIND_NOTIFICATION, LSP_WHEN_RUNNING) \
    X("textDocument/didSave", lsp_on_did_save, LSP_KIND_NOTIFICATION, LSP_WHEN_RUNNING)  \
    X("textDocument/completion", lsp_on_completion, LSP_KIND_REQUEST, LSP_WHEN_RUNNING)  \
    X("textDocument/inlineCompletion", lsp_on_inline_completion, LSP_KIND_REQUEST,       \
      LSP_WHEN_RUNNING)                                                                  \
    X("workspace/didChangeConfiguration", lsp_on_did_change_configuration,               \
      LSP_KIND_NOTIFICATION, LSP_WHEN_RUNNING)                                           \
    X("workspace/executeCommand", lsp_on_execute_command, LSP_KIND_REQUEST,              \
      LSP_WHEN_RUNNING)                                                                  \
    X("understudy/documentText", lsp_on_document_text, LSP_KIND_REQUEST, LSP_WHEN_RUNNING) \
    X("understudy/syntaxTree", lsp_on_syntax_tree, LSP_KIND_REQUEST, LSP_WHEN_RUNNING)   \
    X("understudy/localStats", lsp_on_local_stats, LSP_KIND_REQUEST, LSP_WHEN_RUNNING)

#endif

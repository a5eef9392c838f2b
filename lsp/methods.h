/* methods: the LSP method table as data. Each row: method name, handler, whether it is a
 * request or a notification, and when it is allowed. server.c builds the dispatch from it. */
#ifndef US_METHODS_H
#define US_METHODS_H

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
    X("understudy/syntaxTree", lsp_on_syntax_tree, LSP_KIND_REQUEST, LSP_WHEN_RUNNING)

#endif

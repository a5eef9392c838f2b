;;; emacs_wrap_test.el --- Eglot 1.9 through Understudy's wrap mode with clangd  -*- lexical-binding: t; -*-
;; Run by test_emacs_wrap.py.  Writes the checks as JSON to $US_RESULT.

(load (expand-file-name "tests/editors/emacs_testlib.el" (getenv "UNDERSTUDY_SRC")) nil t)
(require 'xref)

(defun us-candidates ()
  "Eglot's completion candidates at point, as (LABEL . SOURCE)."
  (let ((capf (eglot-completion-at-point)))
    (mapcar (lambda (c)
              (let ((item (get-text-property 0 'eglot--lsp-item c)))
                (cons (substring-no-properties c)
                      (plist-get (plist-get item :data) :source))))
            (all-completions "" (nth 2 capf)))))

(defun us-children (pid)
  (let ((f (format "/proc/%d/task/%d/children" pid pid)))
    (when (file-readable-p f)
      (mapcar #'string-to-number
              (split-string (with-temp-buffer (insert-file-contents f) (buffer-string)))))))

(defun us-gone-p (pid)
  (let ((f (format "/proc/%d/stat" pid)))
    (or (not (file-readable-p f))
        (string-match-p ") Z " (with-temp-buffer (insert-file-contents f) (buffer-string))))))

(defun us-main ()
  (let ((bin (getenv "US_BIN")))
    (setq understudy-server-command (list bin "--stdio"))
    ;; The user's own entry for C, then wrap mode routes it through Understudy.
    (push '((c-mode c++-mode) . ("clangd" "--log=error" "--background-index=0"))
          eglot-server-programs)
    (setq understudy-wrap-modes '(c-mode))
    (understudy-wrap-setup)
    (us-check "c-mode entry routed through the wrapper"
              (equal (cdr (assq 'c-mode eglot-server-programs))
                     (list bin "--wrap" "--" "clangd" "--log=error" "--background-index=0"))
              (car eglot-server-programs))
    (find-file (getenv "US_FILE"))
    (us-check "c-mode" (eq major-mode 'c-mode) major-mode)
    (eglot-ensure)
    (run-hooks 'post-command-hook)  ; eglot-ensure waits for it; batch never runs it
    (let* ((server (us-wait "eglot connection" #'eglot-current-server 20))
           (proc (jsonrpc--process server))
           (command (process-command proc)))
      (us-check "Eglot runs the wrapper" (equal (cadr command) "--wrap") command)
      (us-check "server info is clangd's"
                (string-match-p "clangd" (or (plist-get (eglot--server-info server) :name) ""))
                (eglot--server-info server))
      (us-check "capabilities include inlineCompletionProvider"
                (plist-member (eglot--capabilities server) :inlineCompletionProvider))
      ;; Hover and go-to-definition on `rectangle_area' come from clangd.
      (goto-char (point-min))
      (search-forward "rectangle_area(&box")
      (backward-char 6)
      (let* ((hover (jsonrpc-request server :textDocument/hover
                                     (eglot--TextDocumentPositionParams)))
             (text (format "%S" (plist-get hover :contents))))
        (us-check "hover from clangd" (string-match-p "rectangle_area" text) text))
      (let* ((backend (xref-find-backend))
             (defs (xref-backend-definitions backend (xref-backend-identifier-at-point backend)))
             (files (mapcar (lambda (x) (xref-location-group (xref-item-location x))) defs)))
        (us-check "go-to-definition from clangd"
                  (cl-some (lambda (f) (string-match-p "shapes\\.[ch]\\'" f)) files) files))
      ;; A broken line: clangd's diagnostics reach Flymake.
      (goto-char (point-min))
      (search-forward "return 0;")
      (beginning-of-line)
      (insert "    undeclared_thing = 1;\n")
      (eglot--signal-textDocument/didChange)
      (let ((diags (ignore-errors
                     (us-wait "clangd diagnostics"
                              (lambda ()
                                (cl-remove-if-not
                                 (lambda (d) (string-match-p "undeclared_thing"
                                                             (flymake-diagnostic-text d)))
                                 (flymake-diagnostics)))
                              20))))
        (us-check "clangd's diagnostics reach Flymake" diags (flymake-diagnostics)))
      ;; completion-at-point: clangd's items and Understudy's AI item.
      (forward-line -1)
      (end-of-line)
      (insert "\n    rectangle_")
      (let ((cands (us-candidates)))
        (unless (and (member "fake" (mapcar #'cdr cands))
                     (cl-some (lambda (c) (string-match-p "rectangle_area" (car c))) cands))
          (accept-process-output nil 1.0)
          (setq cands (us-candidates)))
        (us-check "completion offers clangd's items"
                  (cl-some (lambda (c) (and (string-match-p "rectangle_area" (car c)) (null (cdr c))))
                           cands)
                  cands)
        (us-check "completion offers Understudy's AI item (source fake)"
                  (cl-some (lambda (c) (and (equal (cdr c) "fake")
                                            (string-match-p (regexp-quote (getenv "US_AI_TEXT")) (car c))))
                           cands)
                  cands))
      (let* ((r (jsonrpc-request server :textDocument/inlineCompletion
                                 (append (eglot--TextDocumentPositionParams)
                                         '(:context (:triggerKind 1)))))
             (item (aref (plist-get r :items) 0)))
        (us-check "inline completion is Understudy's"
                  (string-match-p (regexp-quote (getenv "US_AI_TEXT")) (plist-get item :insertText))
                  r))
      ;; Shutting Eglot down takes clangd with it.
      (let ((kids (us-children (process-id proc))))
        (us-check "clangd runs as the wrapper's child" kids)
        (eglot-shutdown server)
        (when kids
          (us-check "clangd exits with the wrapper"
                    (ignore-errors (us-wait "clangd exit" (lambda () (us-gone-p (car kids))) 10))
                    (car kids)))))))

(run-at-time 80 nil (lambda () (setq us-error "watchdog: test did not finish in 80 s") (us-finish)))
(condition-case err
    (us-main)
  (error (setq us-error (format "%S" err))))
(us-finish)

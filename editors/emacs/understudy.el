;;; understudy.el --- Understudy AI completions for Eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "27.1") (eglot "1.9"))
;; Keywords: languages, tools, completion
;; URL: https://github.com/understudy-lsp/understudy

;;; Commentary:

;; Understudy is a language server that gives AI code completions with failover across
;; providers and a local offline engine.  This package connects it to Eglot:
;;
;;   (require 'understudy)
;;   (setq understudy-providers
;;         '((:name "claude" :kind "anthropic" :model "claude-sonnet-4-5")))
;;   (understudy-eglot-setup)                   ; server entries + mode-line indicator
;;   (add-hook 'python-mode-hook #'eglot-ensure)
;;
;; Completions arrive through `completion-at-point' (and so Company or Corfu): the AI
;; suggestion first, labelled with the provider that served it, then local items.  The
;; mode line shows which provider serves, or that Understudy is offline; M-x
;; understudy-status shows every provider's state.
;;
;; Eglot runs one language server per buffer.  The entries added here therefore replace
;; another server (clangd, pyright...) for the same major modes.  Understudy's wrap mode
;; (`understudy --wrap -- CMD...') stands in front of the real server so both work: put
;; the wrapper in front of that server's command in `eglot-server-programs'.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)

(defgroup understudy nil
  "AI code completions with failover, through Eglot."
  :group 'eglot
  :prefix "understudy-")

(defcustom understudy-server-command '("understudy" "--stdio")
  "Command line that starts the Understudy server (PROGRAM ARGS...)."
  :type '(repeat string))

(defcustom understudy-providers nil
  "Providers in priority order, each a plist with the keys of config.json.
For example (:name \"claude\" :kind \"anthropic\" :model \"claude-sonnet-4-5\")
or (:name \"local\" :kind \"ollama\" :model \"qwen2.5-coder:1.5b\").
Keys are never written here: use :api_key_env or :api_key_file.
nil leaves the providers to config.json."
  :type '(repeat (plist :key-type symbol :value-type sexp)))

(defcustom understudy-deadline-ms nil
  "Overall time limit of one AI completion in milliseconds (nil: server default)."
  :type '(choice (const nil) integer))

(defcustom understudy-popup-budget-ms nil
  "How long the completion popup waits for the network (nil: server default)."
  :type '(choice (const nil) integer))

(defcustom understudy-max-lines nil
  "Longest suggestion in lines (nil: server default)."
  :type '(choice (const nil) integer))

(defcustom understudy-remote t
  "When nil, nothing leaves the machine.
Only loopback providers and the local engine serve then."
  :type 'boolean)

(defcustom understudy-extra-settings nil
  "Further initializationOptions as a plist.
They are merged over the ones built from the other options, e.g.
\(:breaker (:failures 3) :log (:level \"debug\" :file \"/tmp/us.log\"))."
  :type '(plist :key-type symbol :value-type sexp))

(defcustom understudy-major-modes
  '((python-mode . "python") (python-ts-mode . "python")
    (c-mode . "c") (c-ts-mode . "c")
    (c++-mode . "cpp") (c++-ts-mode . "cpp")
    (js-mode . "javascript") (js-ts-mode . "javascript") (js2-mode . "javascript")
    (typescript-mode . "typescript") (typescript-ts-mode . "typescript")
    (tsx-ts-mode . "typescriptreact")
    (go-mode . "go") (go-ts-mode . "go")
    (rust-mode . "rust") (rust-ts-mode . "rust")
    (java-mode . "java") (java-ts-mode . "java")
    (ruby-mode . "ruby") (ruby-ts-mode . "ruby")
    (sh-mode . "shellscript") (bash-ts-mode . "shellscript")
    (lua-mode . "lua")
    (json-mode . "json") (js-json-mode . "json") (json-ts-mode . "json"))
  "Major modes Understudy serves, with the LSP language id each one sends."
  :type '(alist :key-type symbol :value-type string))

(defcustom understudy-mode-line-prefix "Understudy"
  "Text before the status in the mode line."
  :type 'string)

(defclass understudy-server (eglot-lsp-server) ()
  "An Eglot connection to the Understudy server.")

(defvar understudy--statuses (make-hash-table :test #'eq :weakness 'key)
  "Last understudy/status notification (a plist) per Eglot connection.
Keyed by connection, so servers wrapped by Understudy (any class) have one too.")

(defun understudy--server-status (server)
  "Last status SERVER sent, or nil."
  (gethash server understudy--statuses))

(defun understudy--plist-merge (base over)
  "Return BASE with the keys of OVER set over it (nested plists merged)."
  (let ((out (copy-sequence base)))
    (cl-loop for (k v) on over by #'cddr
             do (let ((old (plist-get out k)))
                  (setq out (plist-put out k
                                       (if (and (consp old) (keywordp (car old))
                                                (consp v) (keywordp (car v)))
                                           (understudy--plist-merge old v)
                                         v)))))
    out))

(defun understudy-initialization-options ()
  "The initializationOptions object built from the customization variables."
  (let (opts completion)
    (when understudy-providers
      (setq opts (plist-put opts :providers (vconcat understudy-providers))))
    (when understudy-deadline-ms
      (setq completion (plist-put completion :deadline_ms understudy-deadline-ms)))
    (when understudy-popup-budget-ms
      (setq completion (plist-put completion :popup_budget_ms understudy-popup-budget-ms)))
    (when understudy-max-lines
      (setq completion (plist-put completion :max_lines understudy-max-lines)))
    (when completion
      (setq opts (plist-put opts :completion completion)))
    (unless understudy-remote
      (setq opts (plist-put opts :privacy '(:remote :json-false))))
    (setq opts (understudy--plist-merge opts understudy-extra-settings))
    ;; An empty plist would be sent as null; the server wants an object.
    (or opts (make-hash-table))))

(cl-defmethod eglot-initialization-options ((_server understudy-server))
  (understudy-initialization-options))

(defun understudy--contact (&optional _interactive)
  "Eglot contact for Understudy: our class and the configured command."
  (cons 'understudy-server understudy-server-command))

(defun understudy--server ()
  "The Understudy connection managing the current buffer, or nil.
That is our own class, or any server that sent understudy/status (wrap mode)."
  (let ((server (ignore-errors (eglot-current-server))))
    (and server
         (or (cl-typep server 'understudy-server) (understudy--server-status server))
         server)))

(defun understudy--any-server ()
  "The current buffer's Understudy connection, else any live one."
  (or (understudy--server)
      (cl-find-if (lambda (s) (cl-typep s 'understudy-server))
                  (let (all)
                    (maphash (lambda (_ servers) (setq all (append servers all)))
                             eglot--servers-by-project)
                    all))
      (let (found)
        (maphash (lambda (server _) (unless found (setq found server))) understudy--statuses)
        found)))

(cl-defmethod eglot-handle-notification
  ((server eglot-lsp-server) (_method (eql understudy/status)) &rest params)
  "Keep the status the server sends; the mode line shows it."
  (puthash server params understudy--statuses)
  (force-mode-line-update t)
  (run-hooks 'understudy-status-functions))

(defvar understudy-status-functions nil
  "Hook run after a status notification arrived.
Use it to refresh a custom mode line.")

(defun understudy-status-string (&optional status)
  "Short text for STATUS (a plist; default: the current buffer's server status).
Returns \"\" when the buffer is not managed by Understudy."
  (let* ((server (understudy--server))
         (st (or status (and server (understudy--server-status server)))))
    (cond
     ((and (not st) (not server)) "")
     ((not st) (format "%s:starting" understudy-mode-line-prefix))
     (t
      (let* ((notes (mapconcat #'identity (understudy--provider-notes st) ","))
             (state (plist-get st :state))
             (head (if (equal state "offline") "offline" (format "%s" (plist-get st :served_by)))))
        (cond
         ((equal state "degraded")
          (format "%s:%s(degraded%s)" understudy-mode-line-prefix head
                  (if (string-empty-p notes) "" (concat ";" notes))))
         ((string-empty-p notes) (format "%s:%s" understudy-mode-line-prefix head))
         (t (format "%s:%s(%s)" understudy-mode-line-prefix head notes))))))))

(defun understudy--provider-notes (st)
  "Words for the providers of status ST worth a mention in the mode line.
\"claude slow\", \"gpt rate-limited 42s\", \"codestral rejected\"; open and
disabled providers are what \"degraded\" says."
  (let (notes)
    (seq-doseq (p (plist-get st :providers))
      (let* ((state (plist-get p :state))
             (word (cdr (assoc state '(("slow" . "slow") ("rate_limited" . "rate-limited")
                                      ("rejected" . "rejected")))))
             (ms (plist-get p :retry_in_ms)))
        (when word
          (push (concat (format "%s %s" (plist-get p :name) word)
                        (if (and (equal state "rate_limited") (numberp ms) (> ms 0))
                            (format " %ds" (ceiling ms 1000.0))
                          ""))
                notes))))
    (nreverse notes)))

(defun understudy-retry-providers ()
  "Reset every provider's breaker on the server and probe the providers now."
  (interactive)
  (let ((server (understudy--any-server)))
    (unless server (user-error "Understudy is not running in this session"))
    (let ((st (jsonrpc-request server :workspace/executeCommand
                               '(:command "understudy.retryProviders" :arguments []))))
      (message "Understudy: providers reset; probing them now")
      st)))

(defun understudy-mode-line-string ()
  "The mode-line indicator, with a face for degraded and offline states."
  (let ((s (understudy-status-string)))
    (if (string-empty-p s) ""
      (let* ((st (and (understudy--server) (understudy--server-status (understudy--server))))
             (state (plist-get st :state)))
        (concat " " (propertize s 'face (cond ((equal state "offline") 'error)
                                              ((equal state "degraded") 'warning)
                                              (t nil))
                                'help-echo "mouse-1: Understudy provider status"
                                'local-map (make-mode-line-mouse-map
                                            'mouse-1 #'understudy-status)))))))

(defconst understudy--mode-line-construct '(:eval (understudy-mode-line-string))
  "What `understudy-eglot-setup' puts into `mode-line-misc-info'.")

(defun understudy--format-status (st)
  "Lines describing the status plist ST."
  (let ((lines (list (format "Understudy: %s, served by %s"
                             (plist-get st :state) (plist-get st :served_by)))))
    (if (zerop (length (plist-get st :providers)))
        (push "  no providers configured: the local engine serves" lines)
      (seq-doseq (p (plist-get st :providers))
        (push (concat
               (format "  %-16s %-18s %-9s" (plist-get p :name) (plist-get p :kind)
                       (plist-get p :state))
               (let ((r (plist-get p :reason))) (if (stringp r) (concat "  " r) ""))
               (let ((ms (plist-get p :retry_in_ms)))
                 (if (and (numberp ms) (> ms 0)) (format "  retry in %.1fs" (/ ms 1000.0)) ""))
               (let ((ms (plist-get p :p50_ms)))
                 (if (numberp ms) (format "  p50 %dms" ms) ""))
               (let ((n (plist-get p :requests)))
                 (if (numberp n) (format "  %d req / %d failed" n (or (plist-get p :failures) 0)) "")))
              lines)))
    (nreverse lines)))

(defun understudy-status ()
  "Show every provider's state, asking the server for a fresh status."
  (interactive)
  (let ((server (understudy--any-server)))
    (unless server (user-error "Understudy is not running in this session"))
    (let* ((st (or (ignore-errors
                     (jsonrpc-request server :workspace/executeCommand
                                      '(:command "understudy.status" :arguments [])))
                   (understudy--server-status server)))
           (text (mapconcat #'identity (understudy--format-status st) "\n")))
      (with-current-buffer (get-buffer-create "*understudy-status*")
        (let ((inhibit-read-only t))
          (erase-buffer)
          (insert text "\n"))
        (special-mode))
      (if noninteractive
          (message "%s" text)
        (display-buffer "*understudy-status*"))
      st)))

;;; Wrap mode: keep your language server and add Understudy in front of it.

(defcustom understudy-wrap-modes nil
  "Major modes whose own Eglot server runs behind Understudy's wrap mode.
`understudy-wrap-setup' rewrites their `eglot-server-programs' entries to
`understudy --wrap -- PROGRAM ARGS...', so clangd, pyright... keep serving
and Understudy adds its completions."
  :type '(repeat symbol))

(defun understudy-wrap-contact (contact)
  "CONTACT (an `eglot-server-programs' value) run behind Understudy.
The result starts `understudy --wrap -- PROGRAM ARGS...'.  It keeps a
server class and a trailing :initializationOptions plist, wraps functions
\(such as `eglot-alternatives') lazily and leaves TCP contacts alone."
  (cond
   ((functionp contact)
    (lambda (&optional interactive)
      (understudy-wrap-contact (funcall contact interactive))))
   ((and (consp contact) (symbolp (car contact)) (car contact) (not (keywordp (car contact))))
    (cons (car contact) (understudy-wrap-contact (cdr contact))))
   ((and (consp contact) (stringp (car contact))
         (not (integerp (cadr contact)))
         (not (member (car contact) (list (car understudy-server-command)))))
    (let* ((tail (cl-member-if #'keywordp contact))
           (argv (cl-ldiff contact tail)))
      (if (member :autoport argv)
          contact
        (append (list (car understudy-server-command) "--wrap" "--") argv tail))))
   (t contact)))

(defun understudy--lookup-contact (mode)
  "The `eglot-server-programs' contact Eglot would use for MODE, or nil."
  (cl-loop for (modes . contact) in eglot-server-programs
           for specs = (if (or (symbolp modes) (keywordp (cadr modes))) (list modes) modes)
           when (cl-some (lambda (spec)
                           (provided-mode-derived-p mode (car (if (consp spec) spec (list spec)))))
                         specs)
           return contact))

;;;###autoload
(defun understudy-wrap-setup (&optional modes)
  "Route the Eglot servers of MODES through Understudy's wrap mode.
MODES defaults to `understudy-wrap-modes'.  Adds one entry per mode in
front of `eglot-server-programs', built from the entry Eglot would have
used.  Restart Eglot in open buffers afterwards."
  (interactive (list (list (intern (completing-read "Wrap the server of mode: "
                                                    obarray #'fboundp t nil nil
                                                    (symbol-name major-mode))))))
  (dolist (mode (or modes understudy-wrap-modes))
    (let ((contact (understudy--lookup-contact mode)))
      (if (not contact)
          (message "understudy: no Eglot server entry for %s" mode)
        (unless (eq contact #'understudy--contact)
          (push (cons mode (understudy-wrap-contact contact)) eglot-server-programs)))))
  (unless (member understudy--mode-line-construct mode-line-misc-info)
    (setq mode-line-misc-info (append mode-line-misc-info
                                      (list understudy--mode-line-construct)))))

;;; Ordering: the AI item first

(defcustom understudy-completion-styles
  '(understudy-ai-first basic partial-completion emacs22)
  "Completion styles for Eglot's completions in buffers Understudy serves.
Eglot puts its `eglot' completion category in the `flex' style, whose
match score reorders the candidates and overrides the server's
`sortText', so a short local word was listed above the AI item (in
`*Completions*', Company and Corfu alike).  With these styles the server's
order holds: the AI item first, then local items.  The first style,
`understudy-ai-first', makes one \\[completion-at-point] insert the AI item
when it heads the list, instead of only the prefix it shares with a local
word.  Set to nil to keep Eglot's styles."
  :type '(repeat symbol))

(defun understudy--ai-item-p (cand)
  "Non-nil when completion candidate CAND is an AI item of Understudy.
Its data.source names the provider; local items say local:...; items of a
wrapped server have none."
  (let* ((item (and (stringp cand) (> (length cand) 0)
                    (get-text-property 0 'eglot--lsp-item cand)))
         (source (plist-get (plist-get item :data) :source)))
    (and (stringp source) (not (string-prefix-p "local:" source)))))

(defun understudy--ai-first-try (string table pred point)
  "Try-completion of the `understudy-ai-first' style.
When the candidates matching STRING (basic style, in the server's order)
start with an AI item, complete to that item whole; else nil, so the next
style does the usual completion.  TABLE, PRED and POINT as in
`completion-try-completion'."
  (when (= point (length string))
    (let* ((all (completion-basic-all-completions string table pred point))
           (last (last all))
           (base (or (cdr last) 0)))
      (when (consp last) (setcdr last nil))
      (when all
        (let* ((md (completion-metadata string table pred))
               (sort (completion-metadata-get md 'display-sort-function))
               (first (car (if sort (funcall sort (copy-sequence all)) all))))
          (when (understudy--ai-item-p first)
            (let ((done (concat (substring string 0 base) first)))
              (cons done (length done)))))))))

(defun understudy--ai-first-all (_string _table _pred _point)
  "All-completions of the `understudy-ai-first' style: none of its own.
The next style lists the candidates."
  nil)

(add-to-list 'completion-styles-alist
             '(understudy-ai-first understudy--ai-first-try understudy--ai-first-all
               "Complete to Understudy's AI item when it comes first."))

(defun understudy--serves-p (server)
  "Non-nil when SERVER is Understudy or a server wrapped by it."
  (or (cl-typep server 'understudy-server)
      (let ((proc (ignore-errors (jsonrpc--process server))))
        (and proc (member "--wrap" (process-command proc))))))

(defun understudy--managed-hook ()
  "Keep the server's order of completions in this buffer (buffer-local)."
  (when (and eglot--managed-mode understudy-completion-styles
             (understudy--serves-p (ignore-errors (eglot-current-server))))
    (setq-local completion-category-overrides
                (cons `(eglot (styles ,@understudy-completion-styles))
                      (assq-delete-all 'eglot
                                       (copy-sequence completion-category-overrides))))))

;;;###autoload
(defun understudy-eglot-setup ()
  "Register Understudy with Eglot and add the mode-line indicator.
Entries for `understudy-major-modes' go first in `eglot-server-programs',
so they win over other servers for those modes (Eglot runs one server
per buffer)."
  (interactive)
  (dolist (entry (reverse understudy-major-modes))
    (setq eglot-server-programs
          (cl-remove-if (lambda (e) (equal (car e) (list (car entry) :language-id (cdr entry))))
                        eglot-server-programs))
    (push (cons (list (car entry) :language-id (cdr entry)) #'understudy--contact)
          eglot-server-programs))
  (add-hook 'eglot-managed-mode-hook #'understudy--managed-hook)
  (unless (member understudy--mode-line-construct mode-line-misc-info)
    (setq mode-line-misc-info (append mode-line-misc-info
                                      (list understudy--mode-line-construct)))))

(defun understudy-eglot-teardown ()
  "Undo `understudy-eglot-setup'."
  (interactive)
  (setq eglot-server-programs
        (cl-remove-if (lambda (e) (eq (cdr e) #'understudy--contact)) eglot-server-programs))
  (remove-hook 'eglot-managed-mode-hook #'understudy--managed-hook)
  (setq mode-line-misc-info (delete understudy--mode-line-construct mode-line-misc-info)))

(provide 'understudy)
;;; understudy.el ends here

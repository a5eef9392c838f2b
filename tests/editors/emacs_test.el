;;; emacs_test.el --- Emacs batch test of editors/emacs/understudy.el  -*- lexical-binding: t; -*-
;; Run by test_emacs.py: Eglot 1.9 against the real server and a fake provider.  Writes the
;; checks as JSON to $US_RESULT.

(load (expand-file-name "tests/editors/emacs_testlib.el" (getenv "UNDERSTUDY_SRC")) nil t)

(defun us-fake-control (json)
  (with-temp-buffer
    (zerop (call-process "python3" nil t nil "-c"
                         "import sys,urllib.request as u;u.urlopen(u.Request(sys.argv[1]+'/_control',data=sys.argv[2].encode(),method='POST'),timeout=10).read()"
                         (getenv "US_FAKE_URL") json))))

(defun us-mode-line ()
  "The :eval parts of `mode-line-misc-info' as text.
Batch Emacs has no real frame, so `format-mode-line' returns \"\" there; evaluate
the constructs the way the mode line would."
  (mapconcat (lambda (e)
               (cond ((stringp e) e)
                     ((eq (car-safe e) :eval) (format "%s" (eval (cadr e) t)))
                     (t "")))
             mode-line-misc-info ""))

(defun us-item-source (cand)
  (let ((item (get-text-property 0 'eglot--lsp-item cand)))
    (or (plist-get (plist-get item :data) :source)
        (plist-get (plist-get item :labelDetails) :description))))

(defun us-local-source-p (s)
  (and (stringp s) (string-prefix-p "local:" s)))

(defun us-candidates ()
  "Eglot's completion candidates at point, as (PROXY . SOURCE)."
  (let ((capf (eglot-completion-at-point)))
    (mapcar (lambda (c) (cons (substring-no-properties c) (us-item-source c)))
            (all-completions "" (nth 2 capf)))))

(defun us-main ()
  (let* ((file (getenv "US_FILE"))
         (ai (getenv "US_AI_TEXT"))
         (first-line (car (split-string ai "\n"))))
    (setq understudy-server-command (list (getenv "US_BIN") "--stdio"))
    (setq understudy-extra-settings
          (json-parse-string (getenv "US_SETTINGS") :object-type 'plist :array-type 'array))
    (understudy-eglot-setup)
    ;; Wrap mode routing (pure rewrites of eglot-server-programs contacts).
    (let ((bin (getenv "US_BIN")))
      (us-check "wrap: plain command"
                (equal (understudy-wrap-contact '("clangd" "--log=error"))
                       (list bin "--wrap" "--" "clangd" "--log=error"))
                (understudy-wrap-contact '("clangd" "--log=error")))
      (us-check "wrap: keeps :initializationOptions and the class"
                (equal (understudy-wrap-contact '(eglot-foo "pyls" "--stdio" :initializationOptions (:a 1)))
                       (list 'eglot-foo bin "--wrap" "--" "pyls" "--stdio" :initializationOptions '(:a 1))))
      (us-check "wrap: functions are wrapped lazily"
                (equal (funcall (understudy-wrap-contact (lambda (_i) '("gopls"))) nil)
                       (list bin "--wrap" "--" "gopls")))
      (us-check "wrap: TCP contacts are left alone"
                (equal (understudy-wrap-contact '("localhost" 6008)) '("localhost" 6008)))
      (let ((eglot-server-programs (cons '((foo-mode bar-mode) . ("foo-ls" "--stdio"))
                                         eglot-server-programs)))
        (understudy-wrap-setup '(bar-mode))
        (us-check "wrap: understudy-wrap-setup routes a mode's entry through the wrapper"
                  (equal (car eglot-server-programs)
                         (cons 'bar-mode (list bin "--wrap" "--" "foo-ls" "--stdio")))
                  (car eglot-server-programs))))
    (us-check "setup registers python-mode"
              (eq (cdr (assoc '(python-mode :language-id "python") eglot-server-programs))
                  #'understudy--contact))
    (find-file file)
    (us-check "python-mode" (eq major-mode 'python-mode) major-mode)
    (eglot-ensure)
    ;; eglot-ensure waits for post-command-hook, which batch mode never runs.
    (run-hooks 'post-command-hook)
    (let ((server (us-wait "eglot connection" #'understudy--server)))
      (us-check "Eglot runs the Understudy server class" (cl-typep server 'understudy-server))
      (us-wait "first understudy/status" (lambda () (understudy--server-status server)))
      (us-check "mode line shows the serving provider"
                (string-match-p "Understudy:fake\\b" (us-mode-line))
                (us-mode-line))
      (us-check "status string" (equal (understudy-status-string) "Understudy:fake")
                (understudy-status-string))
      ;; completion-at-point on the empty line after `def add(a, b):': the server asks for
      ;; a block, the AI item is the only candidate and completion-at-point inserts it.
      (goto-char (point-max))
      (insert "    ")
      (let ((start (line-beginning-position))
            (cands (us-candidates)))
        (unless (member "fake" (mapcar #'cdr cands))
          ;; The popup has a budget; the running AI request fills the cache for the next try.
          (accept-process-output nil 1.0)
          (setq cands (us-candidates)))
        (us-check "completion offers the multi-line AI item (source fake)"
                  (member "fake" (mapcar #'cdr cands)) cands)
        (completion-at-point)
        (us-check "completion-at-point applies the multi-line AI item"
                  (equal (buffer-substring-no-properties start (point-max)) (concat "    " ai))
                  (format "%S" (buffer-substring-no-properties start (point-max)))))
      ;; With a prefix that a word of the file matches, local items come too.
      (goto-char (point-max))
      (insert "\n    to")
      (let* ((cands (us-candidates)) (sources (delete-dups (mapcar #'cdr cands))))
        (unless (and (member "fake" sources) (member "local:word" sources))
          (accept-process-output nil 1.0)
          (setq cands (us-candidates) sources (delete-dups (mapcar #'cdr cands))))
        (us-check "completion offers the AI item and local items (local:*)"
                  (and (member "fake" sources)
                       (cl-some (lambda (s) (and (stringp s) (string-prefix-p "local:" s))) sources))
                  cands)
        ;; The default completion UI: the *Completions* list must show the AI item first
        ;; (Eglot's flex style reordered it below the local word `total').
        (let ((completion-auto-help t) (first nil))
          (ignore-errors (kill-buffer "*Completions*"))
          (completion-help-at-point)
          (let ((buf (get-buffer "*Completions*")))
            (when buf
              (with-current-buffer buf
                (goto-char (point-min))
                (next-completion 1)
                (setq first (buffer-substring-no-properties
                             (point) (or (next-single-property-change (point) 'mouse-face)
                                         (line-end-position)))))))
          (us-check "*Completions* lists the AI item first"
                    (and first (string-prefix-p first-line (string-trim first)))
                    (format "first %S; list %S" first
                            (and (get-buffer "*Completions*")
                                 (with-current-buffer "*Completions*" (buffer-string))))))
        ;; Company (Debian's elpa-company), when installed: the AI item is its first
        ;; candidate, and accepting it inserts the model's text exactly.
        (if (not (require 'company nil t))
            (us-check "company not installed: skipped" t)
          (company-mode 1)
          (let ((line-start (line-beginning-position)) (company-idle-delay nil))
            (company-manual-begin)
            (us-wait "company candidates" (lambda () company-candidates) 5)
            (let ((c0 (car company-candidates)))
              (us-check "Company lists the AI item first"
                        (equal (us-item-source c0) "fake") company-candidates))
            (let* ((cands (format "%S" company-candidates))
                   (item (get-text-property 0 'eglot--lsp-item (car company-candidates)))
                   (want (plist-get (plist-get item :textEdit) :newText)))
              (company-complete-selection)
              (us-check "Company inserts the AI item's text exactly"
                        (equal (buffer-substring-no-properties line-start (point-max))
                               (concat "    " want))
                        (format "%S from %s" (buffer-substring-no-properties line-start (point-max))
                                cands)))
            (company-mode -1))))
      ;; Plain C-M-i (`completion-at-point', default completion styles, no Company) with a typed
      ;; prefix that the AI item and a local word (`total') both match: one press inserts the AI
      ;; item, not the common prefix `total' (which took a second press to finish).
      (goto-char (point-max))
      (insert "\n    to")
      (let* ((line-start (line-beginning-position))
             (cands (us-candidates)) (sources (mapcar #'cdr cands)))
        (unless (and (member "fake" sources) (cl-some #'us-local-source-p sources))
          (accept-process-output nil 1.0)
          (setq cands (us-candidates) sources (mapcar #'cdr cands)))
        (us-check "C-M-i with a prefix: the AI item and a local item both match"
                  (and (member "fake" sources) (cl-some #'us-local-source-p sources)
                       (member "total" (mapcar #'car cands)))
                  cands)
        (let* ((ai-item (cl-some (lambda (c) (and (equal (us-item-source c) "fake")
                                                  (get-text-property 0 'eglot--lsp-item c)))
                                 (all-completions "" (nth 2 (eglot-completion-at-point)))))
               (want (plist-get (plist-get ai-item :textEdit) :newText))
               (company-was (bound-and-true-p company-mode)))
          (when (fboundp 'company-mode) (company-mode -1))
          (ignore-errors (kill-buffer "*Completions*"))
          (let ((this-command 'completion-at-point) (last-command 'self-insert-command))
            (call-interactively #'completion-at-point))
          (us-check "one C-M-i with a typed prefix inserts the AI item (not the common prefix)"
                    (and want (equal (buffer-substring-no-properties line-start (point-max))
                                     (concat "    " want)))
                    (format "%S (want %S)" (buffer-substring-no-properties line-start (point-max))
                            want))
          (when company-was (company-mode 1)))))
    ;; The provider starts failing: the indicator follows the status notifications.
    (us-check "fake switched to failing" (us-fake-control "{\"mode\":\"status_503\"}"))
    (let ((before (understudy-status-string)) changed)
      (dotimes (i 4)
        (unless changed
          (goto-char (point-max))
          (insert (format "\n    x%d = " i))
          (ignore-errors (us-candidates))
          (ignore-errors
            (jsonrpc-request (understudy--server) :textDocument/inlineCompletion
                             (append (eglot--TextDocumentPositionParams)
                                     '(:context (:triggerKind 1)))))
          (ignore-errors
            (us-wait "status change" (lambda () (not (equal (understudy-status-string) before))) 2))
          (unless (equal (understudy-status-string) before)
            (setq changed (understudy-status-string)))))
      (us-check "mode line indicator changes when the provider fails"
                (and changed (string-match-p "offline\\|degraded" (us-mode-line)))
                (format "%s -> %s" before (us-mode-line))))
    (let ((st (understudy-status)))
      (us-check "M-x understudy-status returns the provider table"
                (equal (plist-get (aref (plist-get st :providers) 0) :name) "fake") st))
    (let ((buf (get-buffer "*understudy-status*")))
      (us-check "*understudy-status* buffer lists the provider"
                (and buf (with-current-buffer buf (string-match-p "fake" (buffer-string))))))
    ;; The states a status can carry (issue 18), through Eglot's notification handler.
    (let ((server (understudy--server)))
      (cl-flet ((shown (state served providers)
                  (eglot-handle-notification server 'understudy/status :state state
                                             :served_by served :providers providers)
                  (us-mode-line))
                (pv (name state &optional ms)
                  (list :name name :kind "openai" :state state :reason "" :retry_in_ms (or ms 0)
                        :p50_ms 0 :requests 0 :failures 0)))
        (let ((s (shown "ok" "claude" (vector (pv "claude" "slow")))))
          (us-check "slow in the mode line" (string-match-p "Understudy:claude(claude slow)" s) s))
        (let ((s (shown "degraded" "gpt" (vector (pv "claude" "rate_limited" 41200) (pv "gpt" "closed")))))
          (us-check "rate_limited with its reset in the mode line"
                    (string-match-p "Understudy:gpt(degraded;claude rate-limited 42s)" s) s))
        (let ((s (shown "degraded" "gpt" (vector (pv "claude" "rejected") (pv "gpt" "closed")))))
          (us-check "rejected in the mode line"
                    (string-match-p "Understudy:gpt(degraded;claude rejected)" s) s))
        (let ((s (shown "offline" "local" (vector (pv "claude" "open")))))
          (us-check "offline in the mode line" (string-match-p "Understudy:offline" s) s))))
    ;; M-x understudy-retry-providers: healthy again, reset and probed, the mode line follows.
    (us-check "fake healthy again" (us-fake-control "{\"mode\":\"healthy\"}"))
    (us-check "understudy-retry-providers is a command" (commandp 'understudy-retry-providers))
    (let ((st (understudy-retry-providers)))
      (us-check "retry returns the status with the provider reset"
                (equal (plist-get (aref (plist-get st :providers) 0) :state) "closed") st))
    (us-check "mode line names the provider after the retry"
              (ignore-errors
                (us-wait "status after retry"
                         (lambda () (equal (understudy-status-string) "Understudy:fake")) 5))
              (understudy-status-string))))

(run-at-time 60 nil (lambda () (setq us-error "watchdog: test did not finish in 60 s") (us-finish)))
(condition-case err
    (us-main)
  (error (setq us-error (format "%S" err))))
(us-finish)

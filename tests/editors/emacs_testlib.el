;;; emacs_testlib.el --- shared set-up and check helpers of the Emacs batch tests  -*- lexical-binding: t; -*-
;; Loaded by emacs_test.el and emacs_wrap_test.el: loads Eglot 1.9 from Debian's elpa folder and
;; understudy.el from the source tree, and records checks that the Python side reads as JSON.

(setq package-directory-list '("/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'eglot)
(require 'json)
(load (expand-file-name "editors/emacs/understudy.el" (getenv "UNDERSTUDY_SRC")) nil t)

(defvar us-checks nil)
(defvar us-error nil)

(defun us-check (name ok &optional detail)
  (push (list :name name :ok (if ok t :false)
              :detail (if ok :null (format "%s" detail)))
        us-checks))

(defun us-finish ()
  (with-temp-file (getenv "US_RESULT")
    (insert (json-serialize
             (list :checks (vconcat (reverse us-checks))
                   :error (or us-error :null)))))
  (kill-emacs 0))

(defun us-wait (what pred &optional seconds)
  "Run the event loop until PRED is non-nil; signal after SECONDS (default 10)."
  (let ((deadline (+ (float-time) (or seconds 10))) v)
    (while (not (setq v (funcall pred)))
      (when (> (float-time) deadline) (error "Timed out waiting for %s" what))
      (accept-process-output nil 0.05))
    v))

(provide 'emacs_testlib)

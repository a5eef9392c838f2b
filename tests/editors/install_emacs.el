;;; install_emacs.el --- Emacs after `make install PREFIX=...' (run by test_install.py)  -*- lexical-binding: t; -*-
;; The installed site-lisp folder on `load-path' (as a site-start file would put it), the
;; installed bin/ on PATH (exec-path), and nothing from the source tree.
(setq package-directory-list '("/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'eglot)
(require 'json)
(add-to-list 'load-path (getenv "US_SITE_LISP"))
(defvar us-checks nil)
(defun us-check (name ok &optional detail)
  (push (list :name name :ok (if ok t :false) :detail (if ok :null (format "%s" detail))) us-checks))
(defun us-finish (err)
  (with-temp-file (getenv "US_RESULT")
    (insert (json-serialize (list :checks (vconcat (reverse us-checks)) :error (or err :null)))))
  (kill-emacs 0))
(defun us-wait (pred seconds)
  (let ((deadline (+ (float-time) seconds)) v)
    (while (and (not (setq v (ignore-errors (funcall pred)))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    v))
(condition-case e
    (progn
      (require 'understudy)
      (us-check "emacs: understudy.el loads from the installed site-lisp"
                (string-prefix-p (getenv "US_PREFIX") (locate-library "understudy"))
                (locate-library "understudy"))
      (setq understudy-extra-settings
            (json-parse-string (getenv "US_SETTINGS") :object-type 'plist :array-type 'array))
      (understudy-eglot-setup)              ; default command: understudy on PATH
      (find-file (getenv "US_FILE"))
      (eglot-ensure)
      (run-hooks 'post-command-hook)
      (let* ((server (us-wait #'understudy--server 20))
             (st (and server (us-wait (lambda () (understudy--server-status server)) 20)))
             (proc (and server (jsonrpc--process server))))
        (us-check "emacs: Eglot starts the installed server" server)
        (us-check "emacs: the status names the provider"
                  (and st (equal (plist-get st :served_by) "fake")) st)
        (us-check "emacs: the server is the installed binary"
                  (and proc (equal (executable-find (car (process-command proc)))
                                   (concat (getenv "US_PREFIX") "/bin/understudy")))
                  (and proc (process-command proc))))
      (us-finish nil))
  (error (us-finish (format "%S" e))))

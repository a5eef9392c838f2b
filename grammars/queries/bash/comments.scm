(comment) @comment
[(string) (raw_string) (heredoc_body) (ansi_c_string)] @string

(comment) @comment
[(string) (heredoc_body) (regex)] @string

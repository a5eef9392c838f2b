(comment) @comment
[(string) (template_string) (regex)] @string

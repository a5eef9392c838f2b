((variable_declaration (assignment_statement (expression_list value: (function_call name: (identifier) @_r)))) @import
 (#eq? @_r "require"))
((function_call name: (identifier) @_r) @import
 (#eq? @_r "require"))

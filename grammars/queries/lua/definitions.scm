(function_declaration name: (identifier) @name) @definition.function
(function_declaration name: (dot_index_expression field: (identifier) @name)) @definition.method
(function_declaration name: (method_index_expression method: (identifier) @name)) @definition.method
(parameters name: (identifier) @name @definition.parameter)

(variable_declaration (assignment_statement (variable_list name: (identifier) @name))) @definition.var
(variable_declaration (variable_list name: (identifier) @name)) @definition.var
(assignment_statement (variable_list name: (identifier) @name)) @definition.var
(for_generic_clause (variable_list name: (identifier) @name)) @definition.var
(for_numeric_clause name: (identifier) @name) @definition.var

(field name: (identifier) @name) @definition.field
(assignment_statement (variable_list name: (dot_index_expression table: (identifier) @_self field: (identifier) @name)) (#eq? @_self "self")) @definition.field

(function_definition name: (word) @name) @definition.function
(variable_assignment name: (variable_name) @name) @definition.var
(declaration_command (variable_name) @name) @definition.var
(for_statement variable: (variable_name) @name) @definition.var
(command name: (command_name (word) @_read) argument: (word) @name (#eq? @_read "read")) @definition.var

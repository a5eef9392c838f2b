(function_declaration name: (identifier) @name body: (statement_block) @body) @scope.function
(generator_function_declaration name: (identifier) @name body: (statement_block) @body) @scope.function
(function_expression body: (statement_block) @body) @scope.function
(variable_declarator name: (identifier) @name value: (arrow_function body: (_) @body) @scope.function)
(variable_declarator name: (identifier) @name value: (function_expression body: (_) @body) @scope.function)
(arrow_function body: (_) @body) @scope.function
(method_definition name: (property_identifier) @name body: (statement_block) @body) @scope.function
(class_declaration name: (type_identifier) @name body: (class_body) @body) @scope.class
(abstract_class_declaration name: (type_identifier) @name body: (class_body) @body) @scope.class
(interface_declaration name: (type_identifier) @name body: (interface_body) @body) @scope.class
(internal_module name: (_) @name body: (statement_block) @body) @scope.class
(statement_block) @scope.block
(for_statement body: (_) @body) @scope.block
(for_in_statement body: (_) @body) @scope.block
(catch_clause body: (_) @body) @scope.block

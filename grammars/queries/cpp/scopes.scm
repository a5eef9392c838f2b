(function_definition declarator: (function_declarator declarator: (_) @name) body: (compound_statement) @body) @scope.function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name)) body: (compound_statement) @body) @scope.function
(function_definition declarator: (reference_declarator (function_declarator declarator: (_) @name)) body: (compound_statement) @body) @scope.function
(function_definition body: (compound_statement) @body) @scope.function
(lambda_expression body: (compound_statement) @body) @scope.function
(class_specifier name: (type_identifier) @name body: (field_declaration_list) @body) @scope.class
(struct_specifier name: (type_identifier) @name body: (field_declaration_list) @body) @scope.class
(namespace_definition name: (namespace_identifier) @name body: (declaration_list) @body) @scope.class
(compound_statement) @scope.block
(for_statement body: (_) @body) @scope.block
(for_range_loop body: (_) @body) @scope.block

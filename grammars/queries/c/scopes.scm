(function_definition declarator: (function_declarator declarator: (identifier) @name) body: (compound_statement) @body) @scope.function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)) body: (compound_statement) @body) @scope.function
(function_definition body: (compound_statement) @body) @scope.function
(compound_statement) @scope.block
(for_statement body: (_) @body) @scope.block

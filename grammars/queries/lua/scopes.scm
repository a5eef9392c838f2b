(function_declaration name: (identifier) @name body: (block) @body) @scope.function
(function_declaration name: (dot_index_expression field: (identifier) @name) body: (block) @body) @scope.function
(function_declaration name: (method_index_expression method: (identifier) @name) body: (block) @body) @scope.function
(function_definition body: (block) @body) @scope.function
(for_statement body: (block) @body) @scope.block
(while_statement body: (block) @body) @scope.block
(do_statement body: (block) @body) @scope.block
(if_statement consequence: (block) @body) @scope.block

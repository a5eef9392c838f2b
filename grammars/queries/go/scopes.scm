(function_declaration name: (identifier) @name body: (block) @body) @scope.function
(method_declaration name: (field_identifier) @name body: (block) @body) @scope.function
(func_literal body: (block) @body) @scope.function
(block) @scope.block
(for_statement body: (block) @body) @scope.block
(if_statement consequence: (block) @body) @scope.block
(expression_switch_statement) @scope.block
(type_switch_statement) @scope.block

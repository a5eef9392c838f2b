(function_item name: (identifier) @name body: (block) @body) @scope.function
(closure_expression body: (_) @body) @scope.function
(impl_item type: (type_identifier) @name body: (declaration_list) @body) @scope.class
(impl_item type: (generic_type type: (type_identifier) @name) body: (declaration_list) @body) @scope.class
(trait_item name: (type_identifier) @name body: (declaration_list) @body) @scope.class
(mod_item name: (identifier) @name body: (declaration_list) @body) @scope.class
(block) @scope.block
(for_expression body: (block) @body) @scope.block
(match_arm) @scope.block

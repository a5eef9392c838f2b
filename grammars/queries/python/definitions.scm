(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class

(parameters (identifier) @name @definition.parameter)
(parameters (default_parameter name: (identifier) @name) @definition.parameter)
(parameters (typed_parameter (identifier) @name) @definition.parameter)
(parameters (typed_default_parameter name: (identifier) @name) @definition.parameter)
(parameters (list_splat_pattern (identifier) @name) @definition.parameter)
(parameters (dictionary_splat_pattern (identifier) @name) @definition.parameter)
(lambda_parameters (identifier) @name @definition.parameter)

(assignment left: (identifier) @name) @definition.var
(assignment left: (pattern_list (identifier) @name)) @definition.var
(assignment left: (tuple_pattern (identifier) @name)) @definition.var
(augmented_assignment left: (identifier) @name) @definition.var
(for_statement left: (identifier) @name) @definition.var
(for_statement left: (pattern_list (identifier) @name)) @definition.var
(for_in_clause left: (identifier) @name) @definition.var
(with_item value: (as_pattern alias: (as_pattern_target (identifier) @name))) @definition.var
(except_clause alias: (identifier) @name) @definition.var
(named_expression name: (identifier) @name) @definition.var

; Class attributes and self.x assignments are the fields of a class.
(class_definition body: (block (expression_statement (assignment left: (identifier) @name) @definition.field)))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @name)) @definition.field
 (#eq? @_self "self"))

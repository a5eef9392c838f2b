(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.method
(struct_item name: (type_identifier) @name) @definition.class
(trait_item name: (type_identifier) @name) @definition.class
(enum_item name: (type_identifier) @name) @definition.type
(type_item name: (type_identifier) @name) @definition.type
(mod_item name: (identifier) @name) @definition.class
(field_declaration name: (field_identifier) @name) @definition.field
(enum_variant name: (identifier) @name) @definition.field
(const_item name: (identifier) @name) @definition.var
(static_item name: (identifier) @name) @definition.var
(macro_definition name: (identifier) @name) @definition.function

(parameter pattern: (identifier) @name) @definition.parameter
(parameter pattern: (mut_pattern (identifier) @name)) @definition.parameter
(self_parameter (self) @name) @definition.parameter
(closure_parameters (identifier) @name @definition.parameter)
(closure_parameters (parameter pattern: (identifier) @name) @definition.parameter)

(let_declaration pattern: (identifier) @name) @definition.var
(let_declaration pattern: (mut_pattern (identifier) @name)) @definition.var
(let_declaration pattern: (tuple_pattern (identifier) @name)) @definition.var
(for_expression pattern: (identifier) @name) @definition.var
(for_expression pattern: (tuple_pattern (identifier) @name)) @definition.var
(let_condition pattern: (tuple_struct_pattern (identifier) @name)) @definition.var
(match_arm pattern: (match_pattern (tuple_struct_pattern (identifier) @name))) @definition.var

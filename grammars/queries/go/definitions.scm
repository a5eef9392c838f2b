(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: [(struct_type) (interface_type)]) @definition.class
(type_spec name: (type_identifier) @name) @definition.type
(field_declaration name: (field_identifier) @name) @definition.field
(method_elem name: (field_identifier) @name) @definition.method

(parameter_declaration name: (identifier) @name) @definition.parameter
(variadic_parameter_declaration name: (identifier) @name) @definition.parameter

(short_var_declaration left: (expression_list (identifier) @name)) @definition.var
(var_spec name: (identifier) @name) @definition.var
(const_spec name: (identifier) @name) @definition.var
(range_clause left: (expression_list (identifier) @name)) @definition.var
(type_switch_statement alias: (expression_list (identifier) @name)) @definition.var

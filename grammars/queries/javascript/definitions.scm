(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (identifier) @name) @definition.class
(method_definition name: (property_identifier) @name) @definition.method
(field_definition property: (property_identifier) @name) @definition.field

(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @definition.function
(variable_declarator name: (identifier) @name) @definition.var
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @name)) @definition.var
(variable_declarator name: (array_pattern (identifier) @name)) @definition.var
(for_in_statement left: (identifier) @name) @definition.var

(formal_parameters (identifier) @name @definition.parameter)
(formal_parameters (assignment_pattern left: (identifier) @name) @definition.parameter)
(formal_parameters (rest_pattern (identifier) @name) @definition.parameter)
(formal_parameters (object_pattern (shorthand_property_identifier_pattern) @name) @definition.parameter)
(arrow_function parameter: (identifier) @name @definition.parameter)
(catch_clause parameter: (identifier) @name) @definition.parameter

; this.x = ... in a class, and the keys of object literals
(assignment_expression left: (member_expression object: (this) property: (property_identifier) @name)) @definition.field
(pair key: (property_identifier) @name) @definition.field

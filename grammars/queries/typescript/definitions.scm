(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.class
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.type
(method_definition name: (property_identifier) @name) @definition.method
(method_signature name: (property_identifier) @name) @definition.method
(public_field_definition name: (property_identifier) @name) @definition.field
(property_signature name: (property_identifier) @name) @definition.field

(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @definition.function
(variable_declarator name: (identifier) @name) @definition.var
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @name)) @definition.var
(variable_declarator name: (array_pattern (identifier) @name)) @definition.var
(for_in_statement left: (identifier) @name) @definition.var

(required_parameter pattern: (identifier) @name) @definition.parameter
(optional_parameter pattern: (identifier) @name) @definition.parameter
(required_parameter pattern: (rest_pattern (identifier) @name)) @definition.parameter
(required_parameter pattern: (object_pattern (shorthand_property_identifier_pattern) @name)) @definition.parameter
(required_parameter pattern: (array_pattern (identifier) @name)) @definition.parameter
(arrow_function parameter: (identifier) @name @definition.parameter)
(catch_clause parameter: (identifier) @name) @definition.parameter

; constructor(private x: number) declares a field too
(required_parameter (accessibility_modifier) pattern: (identifier) @name) @definition.field
(assignment_expression left: (member_expression object: (this) property: (property_identifier) @name)) @definition.field
(pair key: (property_identifier) @name) @definition.field

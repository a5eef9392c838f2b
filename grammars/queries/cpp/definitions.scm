(function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(function_definition declarator: (function_declarator declarator: (qualified_identifier name: (identifier) @name))) @definition.method
(function_definition declarator: (function_declarator declarator: (field_identifier) @name)) @definition.method
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(function_definition declarator: (reference_declarator (function_declarator declarator: (identifier) @name))) @definition.function
(declaration declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(field_declaration declarator: (function_declarator declarator: (field_identifier) @name)) @definition.method
(template_declaration (function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function)
(preproc_function_def name: (identifier) @name) @definition.function
(preproc_def name: (identifier) @name) @definition.var

(class_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class
(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class
(enum_specifier name: (type_identifier) @name) @definition.type
(type_definition declarator: (type_identifier) @name) @definition.type
(alias_declaration name: (type_identifier) @name) @definition.type
(namespace_definition name: (namespace_identifier) @name) @definition.class
(enumerator name: (identifier) @name) @definition.var
(field_declaration declarator: (field_identifier) @name) @definition.field
(field_declaration declarator: (pointer_declarator declarator: (field_identifier) @name)) @definition.field
(field_declaration declarator: (reference_declarator (field_identifier) @name)) @definition.field
(field_declaration declarator: (array_declarator declarator: (field_identifier) @name)) @definition.field

(parameter_declaration declarator: (identifier) @name) @definition.parameter
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @name)) @definition.parameter
(parameter_declaration declarator: (reference_declarator (identifier) @name)) @definition.parameter
(optional_parameter_declaration declarator: (identifier) @name) @definition.parameter
(parameter_declaration declarator: (array_declarator declarator: (identifier) @name)) @definition.parameter

(declaration declarator: (identifier) @name) @definition.var
(declaration declarator: (pointer_declarator declarator: (identifier) @name)) @definition.var
(declaration declarator: (init_declarator declarator: (identifier) @name)) @definition.var
(declaration declarator: (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))) @definition.var
(declaration declarator: (init_declarator declarator: (reference_declarator (identifier) @name))) @definition.var
(for_range_loop declarator: (identifier) @name) @definition.var
(for_range_loop declarator: (reference_declarator (identifier) @name)) @definition.var

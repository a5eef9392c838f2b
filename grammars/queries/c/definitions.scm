(function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(declaration declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(declaration declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(preproc_function_def name: (identifier) @name) @definition.function
(preproc_def name: (identifier) @name) @definition.var

(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class
(enum_specifier name: (type_identifier) @name) @definition.type
(type_definition declarator: (type_identifier) @name) @definition.type
(enumerator name: (identifier) @name) @definition.var
(field_declaration declarator: (field_identifier) @name) @definition.field
(field_declaration declarator: (pointer_declarator declarator: (field_identifier) @name)) @definition.field
(field_declaration declarator: (array_declarator declarator: (field_identifier) @name)) @definition.field

; Parameters of prototypes fall at file level and are dropped by syntax.c.
(parameter_declaration declarator: (identifier) @name) @definition.parameter
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @name)) @definition.parameter
(parameter_declaration declarator: (pointer_declarator declarator: (pointer_declarator declarator: (identifier) @name))) @definition.parameter
(parameter_declaration declarator: (array_declarator declarator: (identifier) @name)) @definition.parameter

(declaration declarator: (identifier) @name) @definition.var
(declaration declarator: (pointer_declarator declarator: (identifier) @name)) @definition.var
(declaration declarator: (array_declarator declarator: (identifier) @name)) @definition.var
(declaration declarator: (init_declarator declarator: (identifier) @name)) @definition.var
(declaration declarator: (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))) @definition.var
(declaration declarator: (init_declarator declarator: (array_declarator declarator: (identifier) @name))) @definition.var

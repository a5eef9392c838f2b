(import_statement) @import
(import_clause (identifier) @name)
(import_specifier alias: (identifier) @name)
(import_specifier name: (identifier) @name)
(namespace_import (identifier) @name)
((lexical_declaration (variable_declarator value: (call_expression function: (identifier) @_req))) @import
 (#eq? @_req "require"))
((variable_declaration (variable_declarator value: (call_expression function: (identifier) @_req))) @import
 (#eq? @_req "require"))

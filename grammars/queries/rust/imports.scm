(use_declaration) @import
(extern_crate_declaration) @import
(use_declaration argument: (identifier) @name)
(use_declaration argument: (scoped_identifier name: (identifier) @name))
(use_list (identifier) @name)
(use_list (scoped_identifier name: (identifier) @name))
(use_as_clause alias: (identifier) @name)

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import

(import_statement name: (dotted_name . (identifier) @name))
(import_statement name: (aliased_import alias: (identifier) @name))
(import_from_statement name: (dotted_name (identifier) @name))
(import_from_statement name: (aliased_import alias: (identifier) @name))

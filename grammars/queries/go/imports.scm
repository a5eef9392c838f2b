(import_declaration) @import
(import_spec name: (package_identifier) @name)

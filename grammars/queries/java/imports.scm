(import_declaration) @import
(import_declaration (scoped_identifier name: (identifier) @name))

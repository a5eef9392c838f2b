((command name: (command_name (word) @_c)) @import
 (#match? @_c "^(source|\\.)$"))

((call method: (identifier) @_m arguments: (argument_list)) @import
 (#match? @_m "^(require|require_relative|load)$"))

(function_definition name: (word) @name body: (_) @body) @scope.function
(subshell) @scope.block

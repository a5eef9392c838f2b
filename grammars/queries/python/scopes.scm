; Scopes: functions, classes, lambdas and comprehensions (Python blocks do not scope names).
(function_definition name: (identifier) @name body: (block) @body) @scope.function
(class_definition name: (identifier) @name body: (block) @body) @scope.class
(lambda) @scope.function
[(list_comprehension) (dictionary_comprehension) (set_comprehension) (generator_expression)] @scope.block

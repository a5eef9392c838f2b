(method name: (_) @name body: (_) @body) @scope.function
(method name: (_) @name) @scope.function
(singleton_method name: (_) @name) @scope.function
(class name: (_) @name) @scope.class
(module name: (_) @name) @scope.class
(lambda) @scope.function
(block) @scope.block
(do_block) @scope.block

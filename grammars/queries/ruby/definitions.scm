(method name: (_) @name) @definition.function
(singleton_method name: (_) @name) @definition.method
(class name: (constant) @name) @definition.class
(module name: (constant) @name) @definition.class

(method_parameters (identifier) @name @definition.parameter)
(lambda_parameters (identifier) @name @definition.parameter)
(block_parameters (identifier) @name @definition.parameter)
(optional_parameter name: (identifier) @name) @definition.parameter
(keyword_parameter name: (identifier) @name) @definition.parameter
(splat_parameter name: (identifier) @name) @definition.parameter
(hash_splat_parameter name: (identifier) @name) @definition.parameter
(block_parameter name: (identifier) @name) @definition.parameter

(assignment left: (identifier) @name) @definition.var
(assignment left: (constant) @name) @definition.var
(operator_assignment left: (identifier) @name) @definition.var
(for pattern: (identifier) @name) @definition.var
(assignment left: (instance_variable) @name) @definition.field

(pair key: (string (string_content) @name) value: (object) @body) @scope.class

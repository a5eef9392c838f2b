; scopes for json

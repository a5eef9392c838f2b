; scopes for c

; scopes for go

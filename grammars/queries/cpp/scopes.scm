; scopes for cpp

; scopes for lua

; scopes for python

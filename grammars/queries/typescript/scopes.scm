; scopes for typescript

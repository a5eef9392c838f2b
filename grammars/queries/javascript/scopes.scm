; scopes for javascript

; scopes for rust

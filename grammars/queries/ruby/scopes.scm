; scopes for ruby

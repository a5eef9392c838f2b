; scopes for bash

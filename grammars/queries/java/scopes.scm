; scopes for java

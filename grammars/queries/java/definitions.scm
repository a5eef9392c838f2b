; definitions for java

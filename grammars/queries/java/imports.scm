; imports for java

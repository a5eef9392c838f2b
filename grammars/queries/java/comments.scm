; comments for java

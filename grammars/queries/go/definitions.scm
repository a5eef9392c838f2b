; definitions for go

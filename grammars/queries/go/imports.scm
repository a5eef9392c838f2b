; imports for go

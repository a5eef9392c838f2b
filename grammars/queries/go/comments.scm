; comments for go

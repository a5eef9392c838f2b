; comments for c

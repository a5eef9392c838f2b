; comments for json

; comments for cpp

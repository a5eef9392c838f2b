; comments for lua

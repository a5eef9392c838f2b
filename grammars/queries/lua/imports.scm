; imports for lua

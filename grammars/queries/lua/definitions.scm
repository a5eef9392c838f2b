; definitions for lua

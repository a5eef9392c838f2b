; definitions for cpp

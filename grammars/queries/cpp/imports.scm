; imports for cpp

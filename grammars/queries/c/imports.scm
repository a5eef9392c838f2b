; imports for c

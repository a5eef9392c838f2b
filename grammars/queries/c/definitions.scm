; definitions for c

; definitions for python

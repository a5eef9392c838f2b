; imports for python

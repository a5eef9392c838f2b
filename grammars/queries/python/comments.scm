; comments for python

import os

class Shape:
    def __init__(self, width, height):
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.height

def total(shapes):
    return sum(s.area() for s in shapes)
ÿ    print(ar
"""Shapes and a tiny registry, used by the syntax tests."""
import math
import os.path as osp
from collections import OrderedDict, defaultdict as dd

SCALE = 2.0


class Circle:
    """A circle with a centre and a radius."""

    kind = "circle"

    def __init__(self, x, y, radius=1.0):
        self.x = x
        self.y = y
        self.radius = radius

    def area(self, precision: int = 2):
        squared = self.radius ** 2
        result = math.pi * squared
        return round(result, precision)

    def scaled(self, *factors, **options):
        total = 1.0
        for factor in factors:
            total *= factor
        return Circle(self.x, self.y, self.radius * total)


def load_shapes(path, limit=10):
    registry = OrderedDict()
    counts = dd(int)
    if not osp.exists(path):
        return registry
    with open(path) as handle:
        for index, line in enumerate(handle):
            if index >= limit:
                break
            name, radius = line.split(",")
            registry[name] = Circle(0, 0, float(radius) * SCALE)
            counts[name] += 1
    return registry


def summary(shapes):
    # Total area of every shape, rounded.
    areas = [shape.area() for shape in shapes.values()]
    message = "total area: {}".format(sum(areas))
    return message


if __name__ == "__main__":
    print(summary(load_shapes("shapes.csv")))

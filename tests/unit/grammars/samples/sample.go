// Package geometry is used by the syntax tests.
package geometry

import (
	"errors"
	"fmt"
	m "math"
)

// Point is a point in the plane.
type Point struct {
	X, Y float64
	Label string
}

type Shape interface {
	Area() float64
}

type Polygon []Point

var ErrEmpty = errors.New("empty polygon")

func (p *Point) Distance(other Point) float64 {
	dx := p.X - other.X
	dy := p.Y - other.Y
	return m.Sqrt(dx*dx + dy*dy)
}

func (poly Polygon) Area() float64 {
	total := 0.0
	for i, pt := range poly {
		next := poly[(i+1)%len(poly)]
		total += pt.X*next.Y - next.X*pt.Y
	}
	return m.Abs(total) / 2
}

func Perimeter(poly Polygon) (float64, error) {
	if len(poly) == 0 {
		return 0, ErrEmpty
	}
	sum := 0.0
	for i := range poly {
		a := poly[i]
		sum += a.Distance(poly[(i+1)%len(poly)])
	}
	return sum, nil
}

func Describe(s Shape) string {
	return fmt.Sprintf("area %.2f", s.Area())
}

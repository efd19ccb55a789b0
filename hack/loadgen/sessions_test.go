package main

import (
	"slices"
	"testing"
	"time"
)

func TestParseSteps(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"1,10,50", []int{1, 10, 50}, true},
		{"5", []int{5}, true},
		{" 1, 2 ", []int{1, 2}, true},
		{"0,10", nil, false},
		{"10,1", nil, false},
		{"1,1", nil, false},
		{"1,,2", nil, false},
		{"", nil, false},
		{"x", nil, false},
	} {
		got, err := ParseSteps(c.in)
		if (err == nil) != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("ParseSteps(%q) = %v, %v; want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 95, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ms(1, 2, 3, 4), 0, 1 * time.Millisecond},
		{ms(hundred...), 95, 95 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
	} {
		if got := Percentile(c.in, c.p); got != c.want {
			t.Errorf("Percentile(%v, %d) = %s, want %s", c.in, c.p, got, c.want)
		}
	}
}

func TestPerExtraSession(t *testing.T) {
	for _, c := range []struct {
		first, last SessionsStep
		want        float64
		ok          bool
	}{
		{SessionsStep{Sessions: 1, HeapInuse: 100 << 20}, SessionsStep{Sessions: 50, HeapInuse: 149 << 20}, 1 << 20, true},
		{SessionsStep{Sessions: 1, HeapInuse: 100}, SessionsStep{Sessions: 11, HeapInuse: 80}, -2, true},
		{SessionsStep{Sessions: 5, HeapInuse: 100}, SessionsStep{Sessions: 5, HeapInuse: 200}, 0, false},
	} {
		got, ok := PerExtraSession(c.first, c.last)
		if got != c.want || ok != c.ok {
			t.Errorf("PerExtraSession(%+v, %+v) = %v, %v; want %v, %v", c.first, c.last, got, ok, c.want, c.ok)
		}
	}
}

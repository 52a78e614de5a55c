// A program for lines_test.go: goroutines with deep stacks through several
// garbage collections (stack maps, stack growth), maps, a recovered panic,
// runtime.Caller and a printed stack.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

func deep(n int) []byte {
	if n == 0 {
		runtime.GC()
		return make([]byte, 0, 8)
	}
	b := deep(n - 1)
	return append(b, byte(n))
}

func main() {
	ch := make(chan int)
	for i := range 4 {
		go func() { ch <- len(deep(2000 + i)) }()
	}
	sum := 0
	for range 4 {
		sum += <-ch
	}
	m := map[string]int{}
	for i := range 10000 {
		m[fmt.Sprint(i)] = i
	}
	fmt.Println("sum", sum, "map", len(m), m["9999"])
	defer func() {
		r := recover()
		_, file, line, _ := runtime.Caller(0)
		stack := string(debug.Stack())
		fmt.Println("recovered:", r)
		fmt.Println("caller:", file, line)
		fmt.Println("stack names main.main:", strings.Contains(stack, "main.main"))
		os.Stdout.Sync()
	}()
	var nilMap map[string]int
	nilMap["x"] = 1
}

//go:build js && wasm

// Command readyfixture is a stand-in for jsbridge/main.go in the JS package's tests:
// it follows the readiness contract of src/loader.js and nothing else. The tests pick
// its behaviour with globalThis.__zkvaultFixtureMode.
package main

import (
	"os"
	"syscall/js"
)

func main() {
	switch js.Global().Get("__zkvaultFixtureMode").String() {
	case "exit":
		os.Exit(3)
	case "return":
		return
	case "panic":
		panic("readyfixture: told to panic")
	case "hang":
		select {}
	case "not-object":
		js.Global().Get(os.Getenv("ZKVAULT_READY")).Invoke(42)
		select {}
	}
	api := js.Global().Get("Object").New()
	api.Set("version", "readyfixture")
	api.Set("readyName", os.Getenv("ZKVAULT_READY"))
	api.Set("echo", js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) == 0 {
			return js.Undefined()
		}
		return args[0]
	}))
	js.Global().Get(os.Getenv("ZKVAULT_READY")).Invoke(api)
	select {}
}

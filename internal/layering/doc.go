// Package layering holds the test that keeps the package dependencies
// pointing one way (see "Layers" in README.md): it reads the import graph
// with `go list` and fails when a package reaches one it must not. It has
// no code of its own.
package layering

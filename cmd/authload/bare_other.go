//go:build !linux

package main

import "os/exec"

// dieWithParent has no portable equivalent off Linux: there the child is
// stopped only by the tool's own cleanup.
func dieWithParent(*exec.Cmd) {}

package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the bare Gin child exit when the tool dies, however it
// dies (kill -9, timeout), instead of serving forever.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

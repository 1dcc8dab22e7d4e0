// Package reliability holds the tests that run the real binary and kill,
// stop and starve it: graceful shutdown, crash safety (behind -tags crash),
// a full disk, a read-only data folder and backups under load. It has no
// non-test code.
package reliability

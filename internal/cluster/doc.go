// Package cluster holds the multi-instance tests: several instances of the
// service on one shared PostgreSQL database, as behind a load balancer. It
// has no code of its own.
package cluster

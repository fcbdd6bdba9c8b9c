// Package testenv decides what a test does when something it needs from
// the machine (a browser, Node.js, a database) is missing: it skips, with a
// message that says what to install or set, except in CI (CI=true), where
// every test must run and a missing dependency fails the test.
//
// It is for tests only; production code does not import it.
package testenv

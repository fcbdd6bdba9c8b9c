// Package accept decides, from an HTTP Accept header, whether a client wants
// JSON rather than an HTML page. The middleware and the handlers share it so
// that one request never gets JSON from one and HTML from the other.
package accept

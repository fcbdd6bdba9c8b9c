// Package respond holds what every page of the library's handlers
// (package handlers and handlers/stepup, handlers/encryptionkey) does the
// same way: the security headers of a private, unframeable response and
// the rendering of a template into a clean 200-or-500 page.
package respond

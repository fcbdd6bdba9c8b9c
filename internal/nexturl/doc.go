// Package nexturl decides whether a next/return URL is a same-origin
// relative path, safe to redirect a browser to after a login. The handlers
// (which redirect) and the middleware (which builds the login link) share
// it, so that one value is never judged two ways.
package nexturl

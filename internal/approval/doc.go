// Package approval holds the steps that the packages asking a logged-in
// user's phone for something (handlers/stepup: an approval of an action;
// handlers/encryptionkey: the encryption key) share: the checks of New,
// whose login a request carries and whom to ask about it, how a failure
// of the UNLOQ client is classed, the client's IP address, and the text
// of their typed errors. Each package keeps its own sentinels and its own
// Error type; Kinds names them here, so that the packages can never
// disagree on what refuses a request.
package approval

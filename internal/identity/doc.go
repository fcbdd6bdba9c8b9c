// Package identity holds the rules by which the handlers and their
// subpackages (stepup, encryptionkey) tell who a user is to UNLOQ: the
// user's UNLOQ address (the e-mail, or what an address function maps the
// user to), when such an address is acceptable, and when two addresses
// name the same account. Keeping them in one place means a login, a
// step-up approval and an encryption-key request can never disagree on
// whose approval is whose.
package identity

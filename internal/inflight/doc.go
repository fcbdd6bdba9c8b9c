// Package inflight keeps "one approval at a time" markers: a key is in
// flight from Begin until its release or its time to live, whichever comes
// first. Memory is the in-process implementation, bounded in size; several
// instances of an application need a shared implementation of Marker (a
// handlers.Guard has the same Begin method and satisfies it).
package inflight

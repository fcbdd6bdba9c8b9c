// Package sqlident holds the one rule by which the SQL stores (package
// store and handlers/recovery) accept a table or column name from the
// application, and how they write it into a statement. Names are never
// bound as parameters, so this rule is what keeps them from being SQL.
package sqlident

package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/unloq2fa/unloq2fa/store"
)

func ExampleMemory() {
	ctx := context.Background()
	users := store.NewMemory()
	if err := users.Put(ctx, store.User{ID: "42", Email: "ada@example.com"}); err != nil {
		log.Fatal(err)
	}

	// Enrollment confirmed: turn UNLOQ on.
	if err := users.SetSecondFactor(ctx, "42", store.SecondFactorUNLOQ); err != nil {
		log.Fatal(err)
	}
	u, err := users.User(ctx, "42")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s %q\n", u.ID, u.Email, u.SecondFactor)

	// Only "" and "UNLOQ" are accepted.
	err = users.SetSecondFactor(ctx, "42", "sms")
	fmt.Println(errors.Is(err, store.ErrInvalidSecondFactor))

	// Ids are compared exactly.
	_, err = users.User(ctx, "42 ")
	fmt.Println(errors.Is(err, store.ErrUserNotFound))
	// Output:
	// 42 ada@example.com "UNLOQ"
	// true
	// true
}

func ExampleSQL() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:example_sql?mode=memory&cache=shared")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection keeps the in-memory database alive

	// The application's existing table, without the second factor column.
	if _, err := db.ExecContext(ctx, `CREATE TABLE accounts (uid INTEGER PRIMARY KEY, mail TEXT NOT NULL);
		INSERT INTO accounts (uid, mail) VALUES (1, 'ada@example.com'), (2, 'alan@example.com');`); err != nil {
		log.Fatal(err)
	}

	users, err := store.NewSQL(db,
		store.WithDialect(store.DialectSQLite), // store.DialectPostgres for "$1" placeholders
		store.WithTable("accounts"),
		store.WithIDColumn("uid"),
		store.WithEmailColumn("mail"),
	)
	if err != nil {
		log.Fatal(err)
	}
	// Adds "second_factor" TEXT NULL; a no-op when it is already there.
	if err := users.AddSecondFactorColumn(ctx); err != nil {
		log.Fatal(err)
	}

	if err := users.SetSecondFactor(ctx, "1", store.SecondFactorUNLOQ); err != nil {
		log.Fatal(err)
	}
	for _, id := range []string{"1", "2"} {
		u, err := users.User(ctx, id)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s %q\n", u.ID, u.Email, u.SecondFactor)
	}

	err = users.SetSecondFactor(ctx, "3", store.SecondFactorUNLOQ)
	fmt.Println(errors.Is(err, store.ErrUserNotFound))

	_, err = store.NewSQL(db, store.WithTable("accounts; DROP TABLE accounts"))
	fmt.Println(err != nil)
	// Output:
	// 1 ada@example.com "UNLOQ"
	// 2 alan@example.com ""
	// true
	// true
}

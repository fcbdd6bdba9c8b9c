package recovery_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/unloq2fa/unloq2fa/handlers/recovery"
)

func Example() {
	ctx := context.Background()
	svc, err := recovery.New(recovery.NewMemoryStore(), recovery.WithCount(3))
	if err != nil {
		panic(err)
	}

	// Right after two-step was turned on (or a fresh approval on the
	// phone): make the codes and show them to the person once.
	codes, err := svc.Generate(ctx, "user-42")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(codes), "codes, e.g.", len(codes[0]), "characters like xxxx-xxxx-xxxx")

	// On the two-step page, the phone lost: the person types a code.
	err = svc.Verify(ctx, "user-42", codes[0])
	fmt.Println("first use:", err)

	err = svc.Verify(ctx, "user-42", codes[0])
	fmt.Println("second use is ErrUsed:", errors.Is(err, recovery.ErrUsed))

	err = svc.Verify(ctx, "user-42", "not-a-code")
	fmt.Println("typo is ErrMalformed:", errors.Is(err, recovery.ErrMalformed))

	left, _ := svc.Remaining(ctx, "user-42")
	fmt.Println("left:", left)
	// Output:
	// 3 codes, e.g. 14 characters like xxxx-xxxx-xxxx
	// first use: <nil>
	// second use is ErrUsed: true
	// typo is ErrMalformed: true
	// left: 2
}

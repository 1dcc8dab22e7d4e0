package keystore

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// CommandUsage describes "authsvc keys".
const CommandUsage = `usage: authsvc keys list|rotate

  list     show the signing keys of AUTH_SIGNING_ALG: kid, state, created, valid until
  rotate   make a new key current; the old one keeps verifying until its last
           token expires, and every instance picks the change up within seconds
`

// Command runs "authsvc keys ARGS" and returns the exit code.
func (k *Keystore) Command(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) != 1 {
		fmt.Fprint(stderr, CommandUsage)
		return 2, nil
	}
	switch args[0] {
	case "rotate":
		key, err := k.Rotate(ctx)
		if err != nil {
			return 1, fmt.Errorf("rotate: %w", err)
		}
		fmt.Fprintf(stdout, "new current key %s (%s)\n", key.ID, key.Alg)
		return 0, nil
	case "list":
		rows, err := k.o.DB.SigningKeys(ctx, k.o.Alg, k.o.Now(), true)
		if err != nil {
			return 1, err
		}
		now := k.o.Now()
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "KID\tALG\tSTATE\tCREATED\tVERIFIES UNTIL")
		for _, r := range rows {
			state, until := "current", "-"
			if r.RetiredAt != nil {
				state = "retired"
				if r.NotAfter != nil {
					until = r.NotAfter.UTC().Format(time.RFC3339)
					if !now.Before(*r.NotAfter) {
						state = "expired"
					}
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.KID, r.Alg, state, r.CreatedAt.UTC().Format(time.RFC3339), until)
		}
		return 0, w.Flush()
	}
	fmt.Fprint(stderr, CommandUsage)
	return 2, nil
}

package signingkeys

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// CommandUsage describes "authsvc signing-keys".
const CommandUsage = `usage: authsvc signing-keys list | rotate [--now] | retire KID

  list          show the signing keys of AUTH_SIGNING_ALG: kid, state,
                created, signs from, valid until
  rotate        publish a new key now and make it sign AUTH_KEY_PUBLISH_DELAY
                later (by then every instance has loaded it); the old key
                signs until then and verifies until its last token expires
  rotate --now  emergency: the new key signs at once; instances that have
                not loaded it yet reload when they meet its kid
  retire KID    drop a compromised key at once: it leaves the JWKS and every
                instance's verification set at their next poll (about a
                second) and tokens it signed are refused. If it was the
                signing key, the next pending key takes over now, else a
                fresh key is generated and signs at once; the other pending
                keys keep their times, and one key always signs
`

// Command runs "authsvc signing-keys ARGS" and returns the exit code.
func (k *Store) Command(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	switch {
	case len(args) == 1 && args[0] == "list":
		return k.list(ctx, stdout)
	case len(args) >= 1 && len(args) <= 2 && args[0] == "rotate":
		now := len(args) == 2
		if now && args[1] != "--now" {
			break
		}
		key, from, err := k.Rotate(ctx, now)
		if err != nil {
			return 1, fmt.Errorf("rotate: %w", err)
		}
		fmt.Fprintf(stdout, "new key %s (%s) published; it signs from %s\n", key.ID, key.Alg, from.UTC().Format(time.RFC3339))
		return 0, nil
	case len(args) == 2 && args[0] == "retire":
		signer, err := k.Retire(ctx, args[1])
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "key %s retired: every instance drops it at its next poll; %s signs now\n", args[1], signer)
		return 0, nil
	}
	fmt.Fprint(stderr, CommandUsage)
	return 2, nil
}

func (k *Store) list(ctx context.Context, stdout io.Writer) (int, error) {
	rows, err := k.o.DB.SigningKeys(ctx, k.o.Alg, k.o.Now(), true)
	if err != nil {
		return 1, err
	}
	now := k.o.Now()
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tALG\tSTATE\tCREATED\tSIGNS FROM\tVERIFIES UNTIL")
	for _, r := range rows {
		state, until := "current", "-"
		if r.SignsFrom().After(now) {
			state = "pending"
		}
		if r.NotAfter != nil {
			until = r.NotAfter.UTC().Format(time.RFC3339)
			if r.RetiredAt != nil && !now.Before(*r.RetiredAt) {
				state = "retired"
			}
			if !now.Before(*r.NotAfter) {
				state = "expired"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.KID, r.Alg, state, r.CreatedAt.UTC().Format(time.RFC3339),
			r.SignsFrom().UTC().Format(time.RFC3339), until)
	}
	return 0, w.Flush()
}

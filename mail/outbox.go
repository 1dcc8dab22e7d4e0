package mail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Outbox writes each message as an .eml file in a folder, so development
// works with no mail server: open the file in a mail client or read the link
// from it. Files are written to a temporary name and renamed, so a reader
// never sees half a message, and are readable by the owner only: they hold
// live reset links.
type Outbox struct {
	dir  string
	from string
}

// NewOutbox returns an Outbox writing into dir (created on first use).
func NewOutbox(dir, from string) *Outbox { return &Outbox{dir: dir, from: from} }

// Dir is the outbox folder.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m to a new file.
func (o *Outbox) Send(_ context.Context, m Message) error {
	raw, err := Compose(o.from, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	f, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return fmt.Errorf("outbox: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("outbox: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	name := fmt.Sprintf("%s-%s.eml", date.UTC().Format("20060102T150405Z"), randomHex(6))
	if err := os.Rename(tmp, filepath.Join(o.dir, name)); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

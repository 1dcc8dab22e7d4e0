package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"

	"authsvc/mail"
	"authsvc/models"
)

// maxKnownDevices bounds the devices remembered per user; the one seen
// least recently makes room for a new one.
const maxKnownDevices = 20

// noteSignIn records the device of a successful sign-in and, when the user
// has signed in before but never from this device, sends the new_device
// notice. It runs after every successful login and never fails or slows
// one: the record is written on the mail worker (Outbox.Submit), so the
// login waits for a channel send only, and a failure there is logged by the
// worker. Without an outbox nothing is recorded, as no notice could be
// sent; once there is one, a user with no device recorded starts over with
// a first sign-in, which records without mailing.
func (s *Service) noteSignIn(ctx context.Context, u *models.User, m Meta) {
	out := s.o.Reset.Outbox
	if out == nil {
		return
	}
	// The user agent as the session stores it, so the notice names the
	// device as the list of sessions does.
	ua := truncate(CleanText(m.UserAgent), 512)
	prefix := ipPrefix(m.IP)
	fp := deviceFingerprint(ua, prefix)
	now := s.now()
	user := *u // the worker reads its own copy, whatever the caller does with u
	out.Submit(mail.KindNewDevice, func(ctx context.Context) (mail.Message, bool, error) {
		isNew, firstEver, err := s.o.Store.SeeDevice(ctx, user.ID, fp, now, maxKnownDevices)
		if errors.Is(err, models.ErrNotFound) {
			return mail.Message{}, false, nil // deleted since: nobody to tell
		}
		if err != nil {
			return mail.Message{}, false, fmt.Errorf("note sign-in of user %d: %w", user.ID, err)
		}
		if isNew && !firstEver {
			s.notify(ctx, &user, Notice{Kind: mail.KindNewDevice, UserAgent: ua, IP: prefix})
		}
		// The notice, if any, is a message of its own; this job sends none.
		return mail.Message{}, false, nil
	})
}

// ipPrefix is the network an address belongs to for telling devices apart:
// its /24 (IPv4) or /48 (IPv6), so that the address a provider hands out
// anew each day, or an IPv6 privacy address, is still the same device. An
// IPv4-mapped IPv6 address counts as IPv4. An address that does not parse
// (none known) is "".
func ipPrefix(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap().WithZone("")
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// deviceFingerprint digests a user agent and an IP prefix into the key a
// known device is stored under: fixed length, and neither can be read back
// from it.
func deviceFingerprint(userAgent, prefix string) string {
	sum := sha256.Sum256([]byte("known-device\x00" + userAgent + "\x00" + prefix))
	return hex.EncodeToString(sum[:])
}

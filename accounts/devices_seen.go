package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"

	"authsvc/mail"
	"authsvc/models"
)

// maxKnownDevices bounds the devices remembered per user; the one seen
// least recently makes room for a new one.
const maxKnownDevices = 20

// noteSignIn records the device of a successful sign-in and, when the user
// has signed in before but never from this device, sends the new_device
// notice. It runs after every successful login and never fails one: a
// failure is logged. The record is one small write on the request path; it
// is not put on the mail worker, whose bounded queue is for mail (a hanging
// SMTP server must not let logins crowd reset links out). Only the notice
// goes there. When no notice could be sent (notices off, no address, no
// mailer) nothing is recorded; a user with no device recorded starts over
// with a first sign-in, which records without mailing.
func (s *Service) noteSignIn(ctx context.Context, u *models.User, m Meta) {
	if !s.o.Email.SecurityMail || u.Email == "" || s.o.Reset.Outbox == nil {
		return
	}
	// The user agent as the session stores it, so the notice names the
	// device as the list of sessions does.
	ua := truncate(CleanText(m.UserAgent), 512)
	prefix := ipPrefix(m.IP)
	isNew, firstEver, err := s.o.Store.SeeDevice(ctx, u.ID, deviceFingerprint(ua, prefix), s.now(), maxKnownDevices)
	if errors.Is(err, models.ErrNotFound) {
		return // deleted since: nobody to tell
	}
	if err != nil {
		s.o.Log.WarnContext(ctx, "note sign-in device failed", "user_id", u.ID, "err", err)
		return
	}
	if isNew && !firstEver {
		s.notify(ctx, u, Notice{Kind: mail.KindNewDevice, UserAgent: ua, IP: prefix})
	}
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

package pictures

import "testing"

// FuzzExifOrientation: the Exif parser reads client bytes and must never
// panic or answer outside 1..8. The seeds run in every `go test`.
func FuzzExifOrientation(f *testing.F) {
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x22Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x24Exif\x00\x00II*\x00\xff\xff\xff\x7f\x00\x01"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := exifOrientation(b); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

func TestExifOrientationSeeds(t *testing.T) {
	in := []byte("\xff\xd8\xff\xe1\x00\x22Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	if o := exifOrientation(in); o != 6 {
		t.Fatalf("orientation %d, want 6", o)
	}
}

package testserver

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
)

// File is one file part of a multipart upload. Name and ContentType are what
// the client claims; tests make them lie.
type File struct {
	Field, Name, ContentType string
	Data                     []byte
}

// Upload sends f (plus plain fields) as multipart/form-data.
func (s *Server) Upload(method, path, bearer string, f File, fields map[string]string) *Response {
	s.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			s.t.Fatalf("multipart field: %v", err)
		}
	}
	if f.Field != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.Field, f.Name))
		if f.ContentType != "" {
			h.Set("Content-Type", f.ContentType)
		}
		part, err := w.CreatePart(h)
		if err != nil {
			s.t.Fatalf("multipart part: %v", err)
		}
		part.Write(f.Data)
	}
	if err := w.Close(); err != nil {
		s.t.Fatalf("multipart close: %v", err)
	}
	return s.Do(Request{Method: method, Path: path, Body: &buf, ContentType: w.FormDataContentType(), Bearer: bearer})
}

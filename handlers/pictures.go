package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
	"authsvc/middleware"
	"authsvc/pictures"
)

// pictureBodyLimit lets a 2 MiB file through with room for the multipart
// framing and a few text fields; a file just over 2 MiB then gets the field
// error below rather than a bare 413.
const pictureBodyLimit = pictures.MaxBytes + 64<<10

// DRF's ImageField and FileField wording, which clients of the seed show.
const (
	msgNotImage  = "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
	msgNoFile    = "No file was submitted."
	msgNotFile   = "The submitted data was not a file. Check the encoding type on the form."
	msgEmptyFile = "The submitted file is empty."
	msgTooBig    = "Ensure this file is no larger than 2 MiB (2097152 bytes)."
	msgTooWide   = "Ensure this image is no larger than 4096x4096 pixels."
	// msgTooHeavy takes the decode budget in MiB.
	msgTooHeavy = "Ensure this image takes no more than %d MiB of memory to process: upload one with fewer pixels, or 8 bits per channel instead of 16."
)

// putPicture stores an uploaded profile picture and points the user at it.
func (a *api) putPicture(c *gin.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	files := b.files["profile_picture"]
	if len(files) == 0 {
		if b.has("profile_picture") {
			return apierr.Field("profile_picture", msgNotFile)
		}
		return apierr.Field("profile_picture", msgNoFile)
	}
	fh := files[0]
	if fh.Size > pictures.MaxBytes {
		return apierr.Field("profile_picture", msgTooBig)
	}
	f, err := fh.Open()
	if err != nil {
		return apierr.Internal.WithCause(err)
	}
	defer f.Close()
	ctx := c.Request.Context()
	name, err := a.Pictures.Save(ctx, f)
	if err != nil {
		return a.pictureError(err)
	}
	p := principal(c)
	old, err := a.Accounts.SetProfilePicture(ctx, p, pictures.URL(name))
	if err != nil {
		a.releasePicture(ctx, pictures.URL(name))
		return err
	}
	a.releasePicture(ctx, old)
	return a.writeOwnUser(c, p.User.ID)
}

// deletePicture clears the profile picture (an uploaded file is removed).
func (a *api) deletePicture(c *gin.Context) error {
	ctx := c.Request.Context()
	p := principal(c)
	old, err := a.Accounts.SetProfilePicture(ctx, p, "")
	if err != nil {
		return err
	}
	a.releasePicture(ctx, old)
	return a.writeOwnUser(c, p.User.ID)
}

func (a *api) writeOwnUser(c *gin.Context, id int64) error {
	u, err := a.Accounts.User(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newOwnUser(u))
	return nil
}

func (a *api) pictureError(err error) error {
	switch {
	case errors.Is(err, pictures.ErrTooHeavy):
		return apierr.Field("profile_picture", fmt.Sprintf(msgTooHeavy, a.Pictures.DecodeBudget()>>20)).WithCause(err)
	case errors.Is(err, pictures.ErrInvalid):
		return apierr.Field("profile_picture", msgNotImage).WithCause(err)
	case errors.Is(err, pictures.ErrTooLarge):
		return apierr.Field("profile_picture", msgTooBig)
	case errors.Is(err, pictures.ErrTooWide):
		return apierr.Field("profile_picture", msgTooWide).WithCause(err)
	case errors.Is(err, pictures.ErrEmpty):
		return apierr.Field("profile_picture", msgEmptyFile)
	}
	// A cancelled request or an unavailable disk or database becomes 503 in
	// the renderer (apierr.Public).
	return apierr.Internal.WithCause(err)
}

// releasePicture removes the file behind a profile_picture value that is no
// longer referenced. A failure leaves an orphan file, not a broken account,
// so it is logged and the request goes on.
func (a *api) releasePicture(ctx context.Context, value string) {
	if a.Pictures == nil {
		return
	}
	if err := a.Pictures.Release(value); err != nil {
		a.Log.WarnContext(ctx, "could not remove a replaced profile picture", "err", err)
	}
}

// replacedPicture releases before's picture when a profile update changed it.
func (a *api) replacedPicture(ctx context.Context, before, after string) {
	if before != after {
		a.releasePicture(ctx, before)
	}
}

// servePicture sends a stored picture. Only names the store could have made
// are looked up, so there is no listing and no way out of the folder; the
// type comes from the stored (re-encoded) file, and nosniff stops a browser
// from guessing another one.
func (a *api) servePicture(c *gin.Context) {
	name := c.Param("name")
	f, err := a.Pictures.Open(name)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			a.Log.ErrorContext(c.Request.Context(), "open profile picture", "err", err)
		}
		middleware.RenderError(c, apierr.NotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		middleware.RenderError(c, apierr.NotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", pictures.ContentType(name))
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	h.Set("X-Content-Type-Options", "nosniff")
	// Names are random and never reused, so a copy never goes stale while
	// the picture is in use.
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("Content-Disposition", "inline")
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(c.Writer, f); err != nil {
		a.Log.DebugContext(c.Request.Context(), "send profile picture", "err", err)
	}
}

package download

import (
	"errors"
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/units"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ChecksumError is a download whose SHA-256 is not the one expected. The bytes are kept in Path+".part"
// for inspection; nothing is renamed to Path.
type ChecksumError struct {
	Want, Got string // hex
	// From says whose digest Want is: the pinned digest or the server's.
	From string
	// Path is the destination.
	Path string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: SHA-256 mismatch: %s is %s but the download is %s; "+
		"the partial file was kept at %s.part for inspection — delete it to start over",
		filepath.Base(e.Path), e.From, e.Want, e.Got, e.Path)
}

// HTTPError is an error status from the server.
type HTTPError struct {
	URL        string // redacted of any password
	StatusCode int
	Status     string // as sent, e.g. "404 Not Found"
}

func (e *HTTPError) Error() string {
	s := "GET " + e.URL + ": " + e.Status
	switch {
	case e.StatusCode == http.StatusNotFound:
		s += ": the image factory has no such image: check the Talos version and schematic"
	case e.StatusCode >= 500:
		s += ": the server failed; retry later"
	}
	return s
}

// NetError is a server that could not be reached, or a transfer that broke off. The part is kept.
type NetError struct {
	Host string
	// Broken: the transfer had begun, as opposed to the server not answering at all.
	Broken bool
	// Have is how many bytes the .part holds; Resumable whether the next Get keeps them.
	Have      int64
	Resumable bool
	Err       error
}

func (e *NetError) Error() string {
	what := "cannot reach " + e.Host
	if e.Broken {
		what = "lost the connection to " + e.Host
	}
	return what + ": " + netCause(e.Err) + "; " + retryHint(e.Have, e.Resumable)
}

func (e *NetError) Unwrap() error { return e.Err }

// netCause drops the wrappers whose method, URL or address would repeat what the message says:
// "connect: connection refused", not "Get "http://…": dial tcp 10.0.0.1:443: connect: connection refused".
func netCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" && oe.Err != nil {
		err = oe.Err
	}
	return err.Error()
}

// retryHint says what a retry would do with the bytes already downloaded.
func retryHint(have int64, resumable bool) string {
	switch {
	case have == 0:
		return "nothing was downloaded yet"
	case resumable:
		return fmt.Sprintf("the download resumes from %d bytes (%s) when you retry", have, units.Binary(uint64(have)))
	}
	return fmt.Sprintf("the server gives no ETag or Last-Modified to resume against, so a retry starts over (%s were downloaded)",
		units.Binary(uint64(have)))
}

// stallError is the watchdog's cause for cancelling a transfer.
type stallError struct{ d time.Duration }

func (e stallError) Error() string { return fmt.Sprintf("no data received for %s", e.d) }

// FileError is a local file that could not be written, read or renamed.
type FileError struct {
	Op   string // "create", "write", "rename"…
	Path string
	Err  error
}

func (e *FileError) Error() string {
	s := "cannot " + e.Op + " " + e.Path + ": " + pathCause(e.Err)
	switch {
	case errors.Is(e.Err, syscall.ENOSPC), errors.Is(e.Err, syscall.EDQUOT):
		s += "; free some space on that disk (an ISO needs up to 300 MB), then retry"
	case errors.Is(e.Err, syscall.EROFS):
		s += "; that file system is read-only: download somewhere else"
	case errors.Is(e.Err, os.ErrPermission):
		s += "; check the directory's permissions, or download somewhere else"
	}
	return s
}

func (e *FileError) Unwrap() error { return e.Err }

// pathCause drops the os.PathError wrapper, whose operation and path would repeat what the message says.
func pathCause(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}

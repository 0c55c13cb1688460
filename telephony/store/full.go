package store

import (
	"errors"
	"syscall"
)

// IsStorageFull reports whether err comes from a write the file system
// refused for want of space (ENOSPC, or EDQUOT over a quota): the web UI
// answers it with 507 Insufficient Storage and a plain word on what to
// free, and call records written meanwhile are spooled, not lost.
func IsStorageFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

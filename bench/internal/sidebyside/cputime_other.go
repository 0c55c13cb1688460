//go:build !linux

package sidebyside

import "time"

// ThreadCPU is 0 where the thread's CPU clock is not read: the
// side-by-side figures are then 0 and only Go's wall-clock ones count.
func ThreadCPU() time.Duration { return 0 }

//go:build !linux

package modem

import "time"

func threadCPU() time.Duration { return 0 }

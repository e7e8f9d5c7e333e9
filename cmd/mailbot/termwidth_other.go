//go:build !linux

package main

import "os"

// termWidth is 0 where the terminal's width is not asked for: the
// progress line then assumes 80 columns.
func termWidth(*os.File) int { return 0 }

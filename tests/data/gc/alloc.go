// Allocation-heavy program whose garbage collections make the Go fixture (see make-logs.sh):
// a rolling window of live slices and short-lived garbage in between, a fixed number of rounds
// (argument 1), a fixed-seed generator.
package main

import (
	"fmt"
	"os"
	"strconv"
)

var sink []byte

func main() {
	rounds := 2000
	if len(os.Args) > 1 {
		rounds, _ = strconv.Atoi(os.Args[1])
	}
	live := make([][]byte, 4096)
	seed := uint64(12345)
	checksum := 0
	for r := 0; r < rounds; r++ {
		for i := 0; i < 200; i++ {
			seed = seed*6364136223846793005 + 1442695040888963407
			size := 256 + int((seed>>33)%8192)
			garbage := make([]byte, size)
			garbage[size-1] = byte(i)
			sink = garbage
			checksum += int(garbage[size-1])
			if i%10 == 0 {
				live[(seed>>20)&4095] = make([]byte, size)
			}
		}
	}
	fmt.Println("checksum", checksum)
}

// The admin service.
package main

import (
	"fmt"

	"example.com/monorepo/libs/greeting"
)

func main() {
	fmt.Println(greeting.For("admin"))
}

// Package greeting is shared by the monorepo's Go services.
package greeting

import (
	"fmt"

	"github.com/google/uuid"
)

// For is what a service says when it starts.
func For(service string) string {
	return fmt.Sprintf("hello from %s %s", service, uuid.NewString())
}

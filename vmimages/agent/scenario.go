package main

import (
	"context"
	"encoding/json"
	"errors"
)

// runScenario and subcommands are wired to vmimages/guest once it exists.
func runScenario(ctx context.Context, cells json.RawMessage, ctl *control) error {
	return errors.New("scenario runner not built into this agent")
}

func subcommands() map[string]func([]string) int { return map[string]func([]string) int{} }

package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ResolveRollingUpdate turns a Deployment's maxSurge/maxUnavailable (int or
// percent) into pod counts as Kubernetes does (deployment util
// ResolveFenceposts): surge rounds up, unavailable rounds down, and when both
// end up 0 unavailable becomes 1 so the rollout can make progress.
func ResolveRollingUpdate(replicas int, maxSurge, maxUnavailable string) (surge, unavailable int, err error) {
	if replicas < 0 {
		return 0, 0, fmt.Errorf("replicas %d < 0", replicas)
	}
	surge, err = scaledValue(maxSurge, replicas, true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	unavailable, err = scaledValue(maxUnavailable, replicas, false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable, nil
}

// scaledValue is intstr.GetScaledValueFromIntOrPercent.
func scaledValue(s string, total int, roundUp bool) (int, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid percent %q", s)
		}
		v := float64(n) * float64(total) / 100
		if roundUp {
			return int(math.Ceil(v)), nil
		}
		return int(math.Floor(v)), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid value %q: want a non-negative int or percent", s)
	}
	return n, nil
}

"""Container health check: GET /healthz on this container's own port (HEALTH_PORT).

The slim image has no curl; the standard library is enough. Exit 0 when the service answers
200 (its database reachable), 1 otherwise.
"""

import os
import sys
import urllib.request

port = os.environ.get("HEALTH_PORT", "8080")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as resp:
        sys.exit(0 if resp.status == 200 else 1)
except OSError as exc:
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)

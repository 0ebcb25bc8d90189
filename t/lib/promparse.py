#!/usr/bin/python3
"""Reads a Prometheus text exposition on stdin and parses it with
prometheus_client's own parser (Debian's python3-prometheus-client), which
raises on anything malformed.  Prints "families N", then each sample whose
name starts with one of the arguments and whose value is not 0, as
"name{label=value,...} value", sorted; "error: ..." and exit 1 when the
text does not parse."""

import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    prefixes = sys.argv[1:]
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser's own verdict
        print("error: %s" % e)
        return 1
    names = [f.name for f in families]
    if len(names) != len(set(names)):
        print("error: a family appears twice")
        return 1
    out = []
    for f in families:
        for s in f.samples:
            if s.value == 0 or not any(s.name.startswith(p) for p in prefixes):
                continue
            labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
            out.append("%s{%s} %g" % (s.name, labels, s.value))
    print("families %d" % len(families))
    for line in sorted(out):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

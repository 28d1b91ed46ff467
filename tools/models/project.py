#!/usr/bin/env python3
"""Projects the core-hours a model needs to reach a target accuracy from its learning curve.

    tools/models/project.py --target 0.85 3.16:0.605 4.74:0.750 5.54:0.775 6.6:0.79

Each point is CORE_HOURS:ACCURACY (cumulative core-hours of training, line accuracy on a set).
Fits a power law to the error, 1 - accuracy = a * hours^-b, by least squares in log-log space
over the points given (give the later stages: the first ones are on another part of the curve),
and prints the fit and the cumulative core-hours at which it reaches the target. A projection, not
a promise: curves flatten, so read it as a lower bound.
"""

from __future__ import annotations

import argparse
import math


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=float, required=True, help="target accuracy, e.g. 0.85")
    parser.add_argument("points", nargs="+", help="CORE_HOURS:ACCURACY, at least two")
    args = parser.parse_args()
    points = [tuple(float(v) for v in p.split(":")) for p in args.points]
    if len(points) < 2 or any(h <= 0 or not 0 < acc < 1 for h, acc in points):
        parser.error("give at least two points with hours > 0 and 0 < accuracy < 1")
    xs = [math.log(h) for h, _ in points]
    ys = [math.log(1 - acc) for _, acc in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    a, b = math.exp(my - slope * mx), -slope
    print(f"fit: 1 - accuracy = {a:.3f} * core_hours^-{b:.3f} over {len(points)} points")
    if b <= 0:
        print("the error does not fall with more training in these points: no projection")
        return
    hours = (a / (1 - args.target)) ** (1 / b)
    spent = max(h for h, _ in points)
    print(f"projected: accuracy {args.target} at {hours:.1f} core-hours in all "
          f"({max(0.0, hours - spent):.1f} more than the {spent:g} spent)")


if __name__ == "__main__":
    main()

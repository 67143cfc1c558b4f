"""What the bench/peers_*.py diagnostics share: ../shared/peers/score.py, imported and not copied
(MUSECL_PEERS_DIR overrides where it is), their start, their table header and rows, the taxi
trip matrix of the Manhattan zones and which zones touch."""
import os
import sys

import numpy as np
from osgeo import ogr

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.environ.get("MUSECL_PEERS_DIR", os.path.join(HERE, "..", "..", "shared", "peers"))
sys.path.insert(0, PEERS)
import score  # noqa: E402  (the peers' scorer, from the shared folder)

COLUMNS = "crime published | crime ours | crime spatial | check-in published | check-in ours | check-in spatial |"


def start(usage=None):
    """The zones' targets and centroids (score.zones()); exits with `usage` when no argument was
    given (None: arguments are optional), and with a message when the Manhattan data is absent."""
    if usage is not None and len(sys.argv) < 2:
        sys.exit(usage)
    if not os.path.exists(os.path.join(score.DATA, "manhattan.gpkg")):
        sys.exit(f"Manhattan data not found at {score.DATA} (set MUSECL_MANHATTAN_DATA)")
    return score.zones()


def header(first):
    print(f"| {first} | {COLUMNS}")
    print("|---|---:|---:|---:|---:|---:|---:|")


def row(name, values, signed=False):
    """One table row: `name`, then the six scores (as changes, with a sign, when `signed`)."""
    form = "{:+.3f}" if signed else "{:.3f}"
    print(f"| {name} | " + " | ".join(form.format(v) for v in values) + " |", flush=True)


def trip_matrix(n=180):
    """trips[o, d]: the taxi trips from zone o to zone d."""
    ds = ogr.Open(os.path.join(score.DATA, "manhattan.gpkg"))
    trips = np.zeros((n, n))
    for f in ds.GetLayerByName("taxi_flows"):
        trips[f.GetField("origin_zone"), f.GetField("dest_zone")] += f.GetField("trips")
    return trips


def touching(n=180):
    """Row-normalised adjacency of the zones whose polygons touch (the spatial lag's weights)."""
    ds = ogr.Open(os.path.join(score.DATA, "manhattan.gpkg"))
    zones = {f.GetField("zone_id"): f.GetGeometryRef().Clone() for f in ds.GetLayerByName("zones")}
    adjacency = np.array([[float(i != j and zones[i].Intersects(zones[j])) for j in range(n)] for i in range(n)])
    if (adjacency.sum(1) == 0).any():
        sys.exit("a zone touches no other zone")
    return adjacency / adjacency.sum(1, keepdims=True)

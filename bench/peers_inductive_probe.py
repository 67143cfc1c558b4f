#!/usr/bin/python3
"""Does anything a zone's own inputs hold lift the default embedding towards HAFusion? (issue 23)

usage: bench/peers_inductive_probe.py EMB.gpkg[,...] --features F.tif,...
       (Debian's /usr/bin/python3 with python3-sklearn and python3-gdal)

In bench/peers_flow_probe.py the check-in gap to HAFusion (our protocol) nearly closes (0.785 against
0.786) with the zone's own row and column of the trip matrix, a transductive read that names every
other zone. This probe appends to the default embeddings what the default inputs give a zone
without naming other zones, reads a model applied to another region layer could also make:
  - the zone's log(1 + count) of each OpenStreetMap category and their mean over the zones it
    touches;
  - the Landsat blocks of bench/imagery_ceiling.py: the hand-made features at three scales and the
    feature rasters given with --features (musecl:imagefeatures outputs) at two;
  - log(1 + trips) out of, into and inside the zone, and their mean over the zones it touches.
They go in whole and as their 4 / 8 / 16 / 32 leading principal components, once alone and once
with the spatial lag of the embedding's 16 leading components (their mean over the zones it
touches; bench/peers_ensemble_probe.py's lever). The lag is tried alone too: of 4, 8 and 16
components, weighted by log(1 + trips) between the zones instead of by touching, and blended into
the embedding (e + a * lag(e), the same width). Then trees on the residuals, as in
bench/imagery_ceiling.py. Rows are means over the embeddings given, as the change against them
(columns as score.py prints). Choosing the best form is a choice on the evaluation folds.
"""
import os
import sys

import numpy as np
from osgeo import gdal

from imagery_ceiling import BUFFERS, RASTER, hand_made, leading, masks, nonlinear, scene_block
from peers_common import header, row, score, start, touching, trip_matrix
from peers_parity import osm_counts


def inductive_inputs(features, lag, trips):
    counts = np.log1p(osm_counts())
    totals = np.log1p(np.c_[trips.sum(1), trips.sum(0), np.diag(trips)])
    _, landsat = hand_made(masks(gdal.Open(RASTER), BUFFERS))
    return np.hstack([counts, lag @ counts, landsat, scene_block(features), totals, lag @ totals])


def lags(embeddings, lag, trips, alone, Y, C):
    both_ways = np.log1p(trips) + np.log1p(trips).T
    by_flow = both_ways / both_ways.sum(1, keepdims=True)
    variants = {f"+ lag of {k} components": lambda e, k=k: np.c_[e, lag @ leading(e, k)] for k in (4, 8, 16)}
    variants["+ flow-weighted lag of 8 components"] = lambda e: np.c_[e, by_flow @ leading(e, 8)]
    for a in (0.5, 1.0):
        variants[f"blended, e + {a} * lag(e)"] = lambda e, a=a: e + a * (lag @ e)
    for name, make in variants.items():
        row(name, np.mean([score.scores(make(e), Y, C) for e in embeddings], 0) - alone, True)


def main():
    Y, C = start(__doc__)
    args = sys.argv[1:]
    if "--features" not in args or args.index("--features") + 1 >= len(args):
        sys.exit(__doc__)
    at = args.index("--features")
    features = args[at + 1].split(",")
    paths = [p for a in args[:at] + args[at + 2:] for p in a.split(",")]
    if not paths or any(p.startswith("--") or not os.path.exists(p) for p in paths):
        sys.exit(f"no embedding given, or an unknown option or missing file among {paths}\n{__doc__}")
    embeddings = [score.layer_embedding(p) for p in paths]
    lag, trips = touching(len(Y)), trip_matrix(len(Y))
    block = inductive_inputs(features, lag, trips)
    header(f"appended to the embedding ({block.shape[1]} inductive values)")
    alone = np.mean([score.scores(e, Y, C) for e in embeddings], 0)
    row(f"embedding alone, mean of {len(embeddings)}, absolute", alone)
    for k in (4, 8, 16, 32, None):
        part = block if k is None else leading(block, k)
        form = "whole" if k is None else f"{k} components"
        row(f"+ inputs, {form}", np.mean([score.scores(np.c_[e, part], Y, C) for e in embeddings], 0) - alone, True)
        lagged = [np.c_[e, part, lag @ leading(e, 16)] for e in embeddings]
        row(f"+ inputs, {form}, + lag of 16 components", np.mean([score.scores(x, Y, C) for x in lagged], 0) - alone, True)
    lags(embeddings, lag, trips, alone, Y, C)
    gain = np.mean([nonlinear(e, np.c_[leading(e, 8), block], Y, C) for e in embeddings], 0) - alone[[1, 2, 4, 5]]
    print("\ntrees on the inputs and the embedding's 8 leading components, added to ridge "
          "(crime ours / spatial, check-in ours / spatial): " + " / ".join(f"{v:+.3f}" for v in gain))


if __name__ == "__main__":
    main()

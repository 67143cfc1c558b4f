#!/usr/bin/python3
"""Two levers issue 23 has not built yet, scored without building them: seed ensembles and neighbours.

usage: bench/peers_ensemble_probe.py GROUP [GROUP ...]   (Debian's /usr/bin/python3, python3-sklearn)
  GROUP: comma-separated emb.gpkg files of trainings that differ only in SEED, e.g.
         /tmp/y/ens/s2/emb.gpkg,/tmp/y/ens/s3/emb.gpkg,/tmp/y/ens/s4/emb.gpkg

Scores, with ../shared/peers/score.py (imported, not copied; MUSECL_PEERS_DIR overrides where it is),
for each group and then as the mean over the groups:
  - each training alone (mean over the group);
  - the seed ensemble: every embedding rotated onto the group's first (orthogonal Procrustes) and
    averaged, as the mobility view's MOBILITY_RUNS does for its encoders;
  - the ensemble followed by its spatial lag: the mean of the zone's contiguous neighbours (polygons
    that touch, row-standardised weights), of all its columns and of its 16 leading principal
    components.
Columns: crime published / ours / spatial, check-in published / ours / spatial, as score.py prints.
This is a diagnostic: none of these is what the plugin writes.
"""
import sys

import numpy as np
from osgeo import ogr

from peers_common import header, row, score, start, touching


def ensemble(embeddings):
    first = embeddings[0]
    rotated = [first]
    for e in embeddings[1:]:
        u, _, vt = np.linalg.svd(e.T @ first)
        rotated.append(e @ (u @ vt))
    return np.mean(rotated, 0)


def lag_of_components(e, w, k=16):
    centred = e - e.mean(0)
    components = np.linalg.svd(centred, full_matrices=False)[2][:k].T
    return np.c_[e, w @ (centred @ components)]


def main():
    Y, C = start(__doc__)
    ogr.UseExceptions()  # a missing layer stops with OGR's message
    w = touching(len(Y))
    rows = {}
    header("embedding")
    for k, group in enumerate(sys.argv[1:], start=1):
        embeddings = [score.layer_embedding(p) for p in group.split(",")]
        m = ensemble(embeddings)
        for name, values in [("alone, mean", np.mean([score.scores(e, Y, C) for e in embeddings], 0)),
                             ("seed ensemble", score.scores(m, Y, C)),
                             ("ensemble + lag", score.scores(np.c_[m, w @ m], Y, C)),
                             ("ensemble + lag of 16 components", score.scores(lag_of_components(m, w), Y, C))]:
            rows.setdefault(name, []).append(values)
            row(f"group {k} ({len(embeddings)}), {name}", values)
    for name, values in rows.items():
        row(f"mean of {len(values)} groups, {name}", np.mean(values, 0))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""What the peers' published protocol rewards on Manhattan: raw trip volume (issue 23).

usage: bench/peers_volume_probe.py EMB.gpkg [EMB.gpkg ...]   (Debian's /usr/bin/python3, python3-sklearn)

Scores, with ../shared/peers/score.py (imported, not copied; MUSECL_PEERS_DIR overrides where it is),
feature sets built here from the zones' taxi flows next to each embedding given:
  - the zones' raw outgoing and incoming trip totals, each divided by its city mean (2 columns);
  - the same as log1p (2 columns);
  - the first 16 principal components of the log1p OD matrix, rows and columns side by side;
  - each embedding alone, with the two raw-volume columns appended, with the 16 components
    (each standardised) appended, and multiplied by 0.5 and by 2 (the published protocol's fixed,
    unscaled ridge penalty depends on the columns' scale; the other two protocols standardise).
Columns: crime published / ours / spatial, check-in published / ours / spatial, as score.py prints.
This is a diagnostic: none of these sets is what the plugin writes.
"""
import sys

import numpy as np

from peers_common import header, row, score, start, trip_matrix


def scored(name, X, Y, C):
    row(name, score.scores(X, Y, C))


def main():
    Y, C = start()
    flows = trip_matrix()
    volume = np.c_[flows.sum(1) / flows.sum(1).mean(), flows.sum(0) / flows.sum(0).mean()]
    logs = np.log1p(np.c_[flows, flows.T])
    logs -= logs.mean(0)
    u, s, _ = np.linalg.svd(logs, full_matrices=False)
    header("features")
    scored("raw trip totals out, in (÷ city mean)", volume, Y, C)
    scored("log1p trip totals out, in", np.log1p(volume), Y, C)
    scored("16 principal components of the log1p OD matrix", u[:, :16] * s[:16], Y, C)
    for path in sys.argv[1:]:
        emb = score.layer_embedding(path)
        scored(path, emb, Y, C)
        scored(path + " + raw trip totals", np.c_[emb, volume], Y, C)
        scored(path + " + 16 log OD components, standardised", np.c_[emb, u[:, :16] / u[:, :16].std(0)], Y, C)
        scored(path + " × 0.5", emb * 0.5, Y, C)
        scored(path + " × 2", emb * 2, Y, C)


if __name__ == "__main__":
    main()

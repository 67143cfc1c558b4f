#!/usr/bin/python3
"""Where the check-in gap to HAFusion could come from, scored without building anything (issue 23).

usage: bench/peers_flow_probe.py EMB.gpkg [EMB.gpkg ...]   (Debian's /usr/bin/python3, python3-sklearn)

Appends to each plugin embedding, one at a time, a block of features that the plugin does not write,
and scores the result with ../shared/peers/score.py (imported, not copied; MUSECL_PEERS_DIR overrides
where it is). Each row is the mean over the embeddings given, as the change against the embedding
alone (the first row, absolute). Blocks:
  - log OD: the zone's row and column of log(1 + taxi trips), 360 values;
  - SVD-16: the 16 leading singular directions of that matrix, scaled by their singular values,
    as origin and as destination (32 values): a free, transductive factorisation of the flows;
  - districts-8: log(1 + trips) to and from each of 8 districts (k-means of the zone centroids),
    16 values: where the trips go, in a form a new region could also be given;
  - HAFusion: the peer's own embedding of the same seed index (its run i for embedding i mod 3).
Each block alone is scored too. Columns: crime published / ours / spatial, check-in published /
ours / spatial, as score.py prints. This is a diagnostic: none of these is what the plugin writes.
"""
import glob
import os
import sys

import numpy as np
from sklearn.cluster import KMeans

from peers_common import PEERS, header, row, score, start, trip_matrix


def blocks(trips, centroids):
    log_trips = np.log1p(trips)
    u, s, vt = np.linalg.svd(log_trips)
    districts = KMeans(8, n_init=10, random_state=0).fit_predict(centroids)
    member = np.eye(8)[districts]
    return {
        "log OD": np.c_[log_trips, log_trips.T],
        "SVD-16": np.c_[u[:, :16] * s[:16], vt[:16].T * s[:16]],
        "districts-8": np.c_[np.log1p(trips @ member), np.log1p(trips.T @ member)],
    }


def main():
    Y, C = start(__doc__)
    embeddings = [score.layer_embedding(p) for p in sys.argv[1:]]
    peers = [np.load(f) for f in sorted(glob.glob(os.path.join(PEERS, "embeddings", "hafusion_seed*.npy")))]
    extra = blocks(trip_matrix(len(Y)), C)
    header("features")
    alone = np.mean([score.scores(e, Y, C) for e in embeddings], 0)
    row(f"embedding alone, mean of {len(embeddings)}", alone)
    for name, block in extra.items():
        row(f"{name} alone", score.scores(block, Y, C))
        with_block = np.mean([score.scores(np.c_[e, block], Y, C) for e in embeddings], 0)
        row(f"+ {name}", with_block - alone, signed=True)
    if peers:
        with_peer = np.mean([score.scores(np.c_[e, peers[i % len(peers)]], Y, C) for i, e in enumerate(embeddings)], 0)
        row("+ HAFusion", with_peer - alone, signed=True)


if __name__ == "__main__":
    main()
